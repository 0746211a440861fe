/* Encode and decode a buffer with liblzma: statically linked, or through dlopen of the
   side module given as argv[1] when built with -DUSE_DLOPEN. */
#include <stdio.h>
#include <string.h>
#include <lzma.h>
#ifdef USE_DLOPEN
#include <dlfcn.h>
typedef lzma_ret (*encode_fn)(uint32_t, lzma_check, const lzma_allocator *, const uint8_t *,
                              size_t, uint8_t *, size_t *, size_t);
typedef lzma_ret (*decode_fn)(uint64_t *, uint32_t, const lzma_allocator *, const uint8_t *,
                              size_t *, size_t, uint8_t *, size_t *, size_t);
#endif

int main(int argc, char **argv) {
    uint8_t input[4096], packed[8192], unpacked[4096];
    size_t packed_len = 0, unpacked_len = 0, in_pos = 0;
    uint64_t memlimit = UINT64_MAX;
    for (size_t i = 0; i < sizeof input; i++) input[i] = (uint8_t)"emscripten-wasm32 "[i % 18];
#ifdef USE_DLOPEN
    if (argc < 2) { fprintf(stderr, "usage: %s liblzma.so\n", argv[0]); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    encode_fn encode = (encode_fn)dlsym(lib, "lzma_easy_buffer_encode");
    decode_fn decode = (decode_fn)dlsym(lib, "lzma_stream_buffer_decode");
    if (!encode || !decode) { fprintf(stderr, "dlsym failed\n"); return 1; }
#else
    (void)argc; (void)argv;
#define encode lzma_easy_buffer_encode
#define decode lzma_stream_buffer_decode
#endif
    if (encode(6, LZMA_CHECK_CRC64, NULL, input, sizeof input, packed, &packed_len,
               sizeof packed) != LZMA_OK) return 1;
    if (decode(&memlimit, 0, NULL, packed, &in_pos, packed_len, unpacked, &unpacked_len,
               sizeof unpacked) != LZMA_OK) return 1;
    if (unpacked_len != sizeof input || memcmp(input, unpacked, sizeof input) != 0) return 1;
    printf("xz round trip ok: %u -> %zu -> %zu bytes\n", (unsigned)sizeof input, packed_len,
           unpacked_len);
    return 0;
}
