// Python objects to nlohmann::json and back through pybind11_json's type caster.
#include <string>

#include <nlohmann/json.hpp>
#include <pybind11/pybind11.h>
#include <pybind11_json/pybind11_json.hpp>

namespace py = pybind11;
namespace nl = nlohmann;

PYBIND11_MODULE(demo_json, m) {
    // the caster converts the argument and the result
    m.def("roundtrip", [](const nl::json &value) { return value; });
    m.def("dumps", [](const nl::json &value) { return value.dump(); });
    m.def("loads", [](const std::string &text) { return nl::json::parse(text); });
    m.def("keys", [](const nl::json &value) {
        py::list keys;
        for (const auto &item : value.items()) keys.append(item.key());
        return keys;
    });
}
