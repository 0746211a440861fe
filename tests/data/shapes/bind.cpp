// embind: the library for JavaScript; C++ exceptions become JS errors with the message.
#include <emscripten/bind.h>
#include <stdexcept>
#include <string>

extern "C" double shape_area(const char *kind, double size);

double area(const std::string &kind, double size) { return shape_area(kind.c_str(), size); }

std::string area_or_error(const std::string &kind, double size) {
    try {
        return std::to_string(area(kind, size));
    } catch (const std::exception &error) {
        return std::string("error: ") + error.what();
    }
}

EMSCRIPTEN_BINDINGS(shapes) {
    emscripten::function("area", &area);
    emscripten::function("areaOrError", &area_or_error);
}
