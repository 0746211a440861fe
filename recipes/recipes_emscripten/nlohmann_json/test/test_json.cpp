// Parse, query, modify and serialize JSON with nlohmann_json; round-trip through CBOR.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

int main() {
    auto doc = nlohmann::json::parse(R"({"name": "wasm", "sizes": [1, 2, 3], "nested": {"ok": true}})");
    if (doc["name"] != "wasm" || doc["sizes"].size() != 3 || !doc["nested"]["ok"].get<bool>()) return 1;
    int sum = 0;
    for (const auto &value : doc["sizes"]) sum += value.get<int>();
    if (sum != 6) return 1;
    doc["sizes"].push_back(4);
    doc["pi"] = 3.5;
    const std::string text = doc.dump();
    if (text != R"({"name":"wasm","nested":{"ok":true},"pi":3.5,"sizes":[1,2,3,4]})") return 1;
    if (nlohmann::json::from_cbor(nlohmann::json::to_cbor(doc)) != doc) return 1;
    std::printf("nlohmann_json %d.%d.%d ok: %s\n", NLOHMANN_JSON_VERSION_MAJOR,
                NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH, text.c_str());
    return 0;
}
