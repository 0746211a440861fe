/* Compress and decompress a buffer with zstd (one-shot and streaming APIs): statically
   linked, or through dlopen of the side module given as argv[1] when built with
   -DUSE_DLOPEN. */
#include <stdio.h>
#include <string.h>
#include <zstd.h>
#ifdef USE_DLOPEN
#include <dlfcn.h>
#endif

typedef size_t (*compress_fn)(void *, size_t, const void *, size_t, int);
typedef size_t (*decompress_fn)(void *, size_t, const void *, size_t);
typedef unsigned (*is_error_fn)(size_t);
typedef unsigned long long (*content_size_fn)(const void *, size_t);

int main(int argc, char **argv) {
    static char input[65536], packed[70000], unpacked[65536];
    for (size_t i = 0; i < sizeof input; i++) input[i] = "emscripten-wasm32 zstd "[i % 23];
#ifdef USE_DLOPEN
    if (argc < 2) { fprintf(stderr, "usage: %s libzstd.so\n", argv[0]); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    compress_fn zcompress = (compress_fn)dlsym(lib, "ZSTD_compress");
    decompress_fn zdecompress = (decompress_fn)dlsym(lib, "ZSTD_decompress");
    is_error_fn zis_error = (is_error_fn)dlsym(lib, "ZSTD_isError");
    content_size_fn zcontent_size = (content_size_fn)dlsym(lib, "ZSTD_getFrameContentSize");
    if (!zcompress || !zdecompress || !zis_error || !zcontent_size) {
        fprintf(stderr, "dlsym failed\n");
        return 1;
    }
#else
    (void)argc; (void)argv;
    compress_fn zcompress = ZSTD_compress;
    decompress_fn zdecompress = ZSTD_decompress;
    is_error_fn zis_error = ZSTD_isError;
    content_size_fn zcontent_size = ZSTD_getFrameContentSize;
#endif
    size_t packed_len = zcompress(packed, sizeof packed, input, sizeof input, 19);
    if (zis_error(packed_len) || packed_len >= sizeof input / 10) return 1;
    if (zcontent_size(packed, packed_len) != sizeof input) return 1;
    size_t unpacked_len = zdecompress(unpacked, sizeof unpacked, packed, packed_len);
    if (zis_error(unpacked_len) || unpacked_len != sizeof input) return 1;
    if (memcmp(input, unpacked, sizeof input) != 0) return 1;
#ifndef USE_DLOPEN
    /* the streaming decoder, as used to unpack .conda archives */
    ZSTD_DCtx *ctx = ZSTD_createDCtx();
    ZSTD_inBuffer in = {packed, packed_len, 0};
    ZSTD_outBuffer out = {unpacked, sizeof unpacked, 0};
    memset(unpacked, 0, sizeof unpacked);
    size_t left = ZSTD_decompressStream(ctx, &out, &in);
    ZSTD_freeDCtx(ctx);
    if (ZSTD_isError(left) || left != 0 || out.pos != sizeof input) return 1;
    if (memcmp(input, unpacked, sizeof input) != 0) return 1;
    printf("zstd %s ok: ", ZSTD_versionString());
#endif
    printf("%u -> %lu -> %lu bytes\n", (unsigned)sizeof input, (unsigned long)packed_len,
           (unsigned long)unpacked_len);
    return 0;
}
