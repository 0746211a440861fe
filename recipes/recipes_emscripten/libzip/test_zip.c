/* Write a zip archive with one deflate and one bzip2 member, read both back, compare. */
#include <stdio.h>
#include <string.h>
#include <zip.h>

static const char text[] = "emscripten-wasm32 emscripten-wasm32 emscripten-wasm32 zip!\n";

static int add(zip_t *za, const char *name, zip_int32_t method) {
    zip_source_t *src = zip_source_buffer(za, text, sizeof text, 0);
    zip_int64_t idx = zip_file_add(za, name, src, ZIP_FL_OVERWRITE);
    if (idx < 0) return -1;
    return zip_set_file_compression(za, (zip_uint64_t)idx, method, 9);
}

static int check(zip_t *za, const char *name, zip_int32_t method) {
    zip_stat_t st;
    char buf[sizeof text];
    if (zip_stat(za, name, 0, &st) != 0 || st.comp_method != method) return -1;
    zip_file_t *f = zip_fopen(za, name, 0);
    if (!f || zip_fread(f, buf, sizeof buf) != (zip_int64_t)sizeof text) return -1;
    zip_fclose(f);
    return memcmp(buf, text, sizeof text) == 0 ? 0 : -1;
}

int main(void) {
    int err = 0;
    zip_t *za = zip_open("test.zip", ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!za || add(za, "deflate.txt", ZIP_CM_DEFLATE) || add(za, "bzip2.txt", ZIP_CM_BZIP2)) return 1;
    if (zip_close(za) != 0) return 1;
    za = zip_open("test.zip", ZIP_RDONLY, &err);
    if (!za || check(za, "deflate.txt", ZIP_CM_DEFLATE) || check(za, "bzip2.txt", ZIP_CM_BZIP2)) return 1;
    printf("libzip %s round trip ok: %lld entries\n", zip_libzip_version(), (long long)zip_get_num_entries(za, 0));
    zip_close(za);
    return 0;
}
