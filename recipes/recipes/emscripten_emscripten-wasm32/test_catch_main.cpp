// The main module: dlopens the side module, calls it, and catches what it throws.
#include <dlfcn.h>
#include <cstdio>
#include <stdexcept>

int main() {
    void *handle = dlopen("./libthrow.so", RTLD_NOW);
    if (!handle) {
        std::printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    auto parse = reinterpret_cast<int (*)(const char *)>(dlsym(handle, "side_parse"));
    if (!parse || parse("42") != 42) {
        std::printf("side_parse missing or wrong\n");
        return 1;
    }
    try {
        parse("forty-two");
    } catch (const std::invalid_argument &error) {
        std::printf("caught from side module: %s\n", error.what());
        return 0;
    }
    std::printf("no exception caught\n");
    return 1;
}
