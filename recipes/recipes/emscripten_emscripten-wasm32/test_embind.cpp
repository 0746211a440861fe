// embind: a function and a class bound for JavaScript (called from test_embind.js).
#include <emscripten/bind.h>
#include <string>

int twice(int x) { return 2 * x; }

class Counter {
  public:
    explicit Counter(int start) : value_(start) {}
    void add(int n) { value_ += n; }
    int value() const { return value_; }
    std::string describe() const { return "counter at " + std::to_string(value_); }

  private:
    int value_;
};

EMSCRIPTEN_BINDINGS(emci_test) {
    emscripten::function("twice", &twice);
    emscripten::class_<Counter>("Counter")
        .constructor<int>()
        .function("add", &Counter::add)
        .function("value", &Counter::value)
        .function("describe", &Counter::describe);
}
