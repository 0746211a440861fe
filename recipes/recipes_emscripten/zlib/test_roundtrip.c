/* Compress and uncompress a buffer with zlib: statically linked, or through dlopen of the
   side module given as argv[1] when built with -DUSE_DLOPEN. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#ifdef USE_DLOPEN
#include <dlfcn.h>
typedef int (*compress_fn)(Bytef *, uLongf *, const Bytef *, uLong);
typedef int (*uncompress_fn)(Bytef *, uLongf *, const Bytef *, uLong);
#endif

int main(int argc, char **argv) {
    Bytef input[4096], packed[8192], unpacked[4096];
    uLongf packed_len = sizeof packed, unpacked_len = sizeof unpacked;
    for (size_t i = 0; i < sizeof input; i++) input[i] = (Bytef)"emscripten-wasm32 "[i % 18];
#ifdef USE_DLOPEN
    if (argc < 2) { fprintf(stderr, "usage: %s libz.so\n", argv[0]); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    compress_fn zcompress = (compress_fn)dlsym(lib, "compress");
    uncompress_fn zuncompress = (uncompress_fn)dlsym(lib, "uncompress");
    if (!zcompress || !zuncompress) { fprintf(stderr, "dlsym failed\n"); return 1; }
#else
    (void)argc; (void)argv;
#define zcompress compress
#define zuncompress uncompress
#endif
    if (zcompress(packed, &packed_len, input, sizeof input) != Z_OK) return 1;
    if (zuncompress(unpacked, &unpacked_len, packed, packed_len) != Z_OK) return 1;
    if (unpacked_len != sizeof input || memcmp(input, unpacked, sizeof input) != 0) return 1;
    printf("zlib round trip ok: %u -> %lu -> %lu bytes\n",
           (unsigned)sizeof input, (unsigned long)packed_len, (unsigned long)unpacked_len);
    return 0;
}
