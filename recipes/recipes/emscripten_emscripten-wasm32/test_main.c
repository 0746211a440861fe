// A C program linked statically (no dlopen) and as a MAIN_MODULE that dlopens libside.so.
#include <stdio.h>
#ifdef USE_DLOPEN
#include <dlfcn.h>
#endif

int main(void) {
#ifdef USE_DLOPEN
    void *handle = dlopen("./libside.so", RTLD_NOW);
    if (!handle) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    int (*answer)(int) = (int (*)(int))dlsym(handle, "side_answer");
    if (!answer || answer(21) != 42) {
        printf("side_answer missing or wrong\n");
        return 1;
    }
    printf("side module ok: %d\n", answer(21));
#else
    printf("static ok\n");
#endif
    return 0;
}
