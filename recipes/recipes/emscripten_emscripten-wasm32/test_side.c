// A side module: position independent code loaded with dlopen by test_main.c.
int side_answer(int x) { return x * 2; }
