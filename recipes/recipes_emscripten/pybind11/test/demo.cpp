// A small extension module: functions with defaults, STL conversions, a class with
// properties, a callback into Python, a C++ exception.
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

struct Counter {
    explicit Counter(int start) : value(start) {}
    int increment(int by) { return value += by; }
    int value;
};

int add(int a, int b) { return a + b; }

std::map<std::string, int> lengths(const std::vector<std::string> &words) {
    std::map<std::string, int> result;
    for (const auto &word : words) result[word] = static_cast<int>(word.size());
    return result;
}

int apply_twice(const std::function<int(int)> &f, int x) { return f(f(x)); }

int non_negative(int x) {
    if (x < 0) throw std::domain_error("negative: " + std::to_string(x));
    return x;
}

PYBIND11_MODULE(demo, m) {
    m.doc() = "pybind11 on emscripten-wasm32";
    m.def("add", &add, py::arg("a"), py::arg("b") = 1);
    m.def("lengths", &lengths);
    m.def("apply_twice", &apply_twice);
    m.def("non_negative", &non_negative);
    py::class_<Counter>(m, "Counter")
        .def(py::init<int>(), py::arg("start") = 0)
        .def("increment", &Counter::increment, py::arg("by") = 1)
        .def_readwrite("value", &Counter::value);
}
