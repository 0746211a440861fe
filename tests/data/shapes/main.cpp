// Main module: dlopen the side module given on the command line, catch what it throws.
#include <dlfcn.h>
#include <cstdio>
#include <stdexcept>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    void *handle = dlopen(argv[1], RTLD_NOW);
    if (!handle) {
        std::printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    auto area = reinterpret_cast<double (*)(const char *, double)>(dlsym(handle, "shape_area"));
    if (!area) return 1;
    std::printf("square 3: %g\n", area("square", 3));
    try {
        area("hexagon", 1);
    } catch (const std::domain_error &error) {
        std::printf("caught across the side module: %s\n", error.what());
        return 0;
    }
    return 1;
}
