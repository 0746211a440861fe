/* libffi in wasm: a call through ffi_call with int, double and int64 arguments, and a
   closure (a C function pointer made at run time) called from C. */
#include <ffi.h>
#include <stdint.h>
#include <stdio.h>

static int add(int a, int b) { return a + b; }

static double scale(double x, int64_t factor) { return x * (double)factor; }

static void times_ten_plus(ffi_cif *cif, void *result, void **args, void *user_data) {
    (void)cif;
    *(ffi_arg *)result = *(int *)args[0] * 10 + *(int *)user_data;
}

int main(void) {
    ffi_cif add_cif;
    ffi_type *add_types[2] = {&ffi_type_sint, &ffi_type_sint};
    int a = 2, b = 40;
    void *add_values[2] = {&a, &b};
    ffi_arg sum = 0;
    if (ffi_prep_cif(&add_cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, add_types) != FFI_OK) {
        return 1;
    }
    ffi_call(&add_cif, FFI_FN(add), &sum, add_values);

    ffi_cif scale_cif;
    ffi_type *scale_types[2] = {&ffi_type_double, &ffi_type_sint64};
    double x = 1.5, scaled = 0;
    int64_t factor = 4;
    void *scale_values[2] = {&x, &factor};
    if (ffi_prep_cif(&scale_cif, FFI_DEFAULT_ABI, 2, &ffi_type_double, scale_types) != FFI_OK) {
        return 2;
    }
    ffi_call(&scale_cif, FFI_FN(scale), &scaled, scale_values);

    ffi_cif closure_cif;
    ffi_type *closure_types[1] = {&ffi_type_sint};
    static int offset = 7;
    void *code = NULL;
    ffi_closure *closure = ffi_closure_alloc(sizeof(ffi_closure), &code);
    if (closure == NULL ||
        ffi_prep_cif(&closure_cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint, closure_types) != FFI_OK ||
        ffi_prep_closure_loc(closure, &closure_cif, times_ten_plus, &offset, code) != FFI_OK) {
        return 3;
    }
    int from_closure = ((int (*)(int))code)(5);
    ffi_closure_free(closure);

    printf("add=%d scale=%g closure=%d\n", (int)sum, scaled, from_closure);
    return (sum == 42 && scaled == 6.0 && from_closure == 57) ? 0 : 4;
}
