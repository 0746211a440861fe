// A C++17 side module whose function throws; test_catch_main.cpp catches across modules.
#include <optional>
#include <stdexcept>
#include <string>

extern "C" int side_parse(const char *text) {
    auto parse = [](std::string s) -> std::optional<int> {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
        return std::stoi(s);
    };
    if (auto value = parse(text); value) return *value;
    throw std::invalid_argument(std::string("not a number: ") + text);
}
