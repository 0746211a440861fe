/* Compress and decompress a buffer with libbz2: statically linked, or through dlopen of
   the side module given as argv[1] when built with -DUSE_DLOPEN. */
#include <stdio.h>
#include <string.h>
#include <bzlib.h>
#ifdef USE_DLOPEN
#include <dlfcn.h>
typedef int (*compress_fn)(char *, unsigned int *, char *, unsigned int, int, int, int);
typedef int (*decompress_fn)(char *, unsigned int *, char *, unsigned int, int, int);
#endif

int main(int argc, char **argv) {
    char input[4096], packed[8192], unpacked[4096];
    unsigned int packed_len = sizeof packed, unpacked_len = sizeof unpacked;
    for (size_t i = 0; i < sizeof input; i++) input[i] = "emscripten-wasm32 "[i % 18];
#ifdef USE_DLOPEN
    if (argc < 2) { fprintf(stderr, "usage: %s libbz2.so\n", argv[0]); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    compress_fn compress = (compress_fn)dlsym(lib, "BZ2_bzBuffToBuffCompress");
    decompress_fn decompress = (decompress_fn)dlsym(lib, "BZ2_bzBuffToBuffDecompress");
    if (!compress || !decompress) { fprintf(stderr, "dlsym failed\n"); return 1; }
#else
    (void)argc; (void)argv;
#define compress BZ2_bzBuffToBuffCompress
#define decompress BZ2_bzBuffToBuffDecompress
#endif
    if (compress(packed, &packed_len, input, sizeof input, 9, 0, 0) != BZ_OK) return 1;
    if (decompress(unpacked, &unpacked_len, packed, packed_len, 0, 0) != BZ_OK) return 1;
    if (unpacked_len != sizeof input || memcmp(input, unpacked, sizeof input) != 0) return 1;
    printf("bzip2 round trip ok: %u -> %u -> %u bytes\n",
           (unsigned)sizeof input, packed_len, unpacked_len);
    return 0;
}
