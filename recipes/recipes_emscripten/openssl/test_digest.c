/* OpenSSL in wasm: a SHA-256 digest against its known value, random bytes from the
   host's entropy source, and a TLS client context. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    static const char expected[] =
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    if (!EVP_Digest("abc", 3, digest, &length, EVP_sha256(), NULL)) {
        return 1;
    }
    for (unsigned int i = 0; i < length; i++) {
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    if (strcmp(hex, expected) != 0) {
        fprintf(stderr, "sha256(abc) = %s\n", hex);
        return 2;
    }
    unsigned char random_bytes[32] = {0};
    if (RAND_bytes(random_bytes, sizeof random_bytes) != 1) {
        return 3;
    }
    SSL_CTX *context = SSL_CTX_new(TLS_client_method());
    if (context == NULL) {
        return 4;
    }
    SSL_CTX_free(context);
    printf("sha256 ok, %zu random bytes, TLS client context ok (%s)\n", sizeof random_bytes,
           OpenSSL_version(OPENSSL_VERSION));
    return 0;
}
