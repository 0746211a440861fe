// xtl's optional with missing values, base64 and a fixed-size string. (xhalf_float.hpp is left
// out: it needs the FE_* floating-point exception flags, which Emscripten's fenv.h lacks.)
#include <cstdio>
#include <string>
#include <xtl/xbase64.hpp>
#include <xtl/xbasic_fixed_string.hpp>
#include <xtl/xoptional.hpp>
#include <xtl/xtl_config.hpp>

int main() {
    xtl::xoptional<double> present(2.5), missing = xtl::missing<double>();
    auto sum = present + missing;
    if (!present.has_value() || sum.has_value() || (present * 2.0).value() != 5.0) return 1;
    if (xtl::base64encode("wasm32") != "d2FzbTMy") return 1;
    xtl::xfixed_string<16> name("emscripten");
    if (name.size() != 10 || name.substr(0, 4) != "emsc") return 1;
    std::printf("xtl %d.%d.%d ok\n", XTL_VERSION_MAJOR, XTL_VERSION_MINOR, XTL_VERSION_PATCH);
    return 0;
}
