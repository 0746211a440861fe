// xeus in Node: guids, base64, a kernel message's parts, and a C++ exception thrown inside
// the library's dependency and caught here (the exception mode of xeus and of this program
// agree). Prints "xeus ok: VERSION" when every check passes.
#include <cstdlib>
#include <iostream>
#include <string>

#include "nlohmann/json.hpp"
#include "xeus/xbase64.hpp"
#include "xeus/xeus.hpp"
#include "xeus/xguid.hpp"
#include "xeus/xmessage.hpp"

namespace nl = nlohmann;

static void check(bool ok, const char* what) {
    if (!ok) {
        std::cerr << "failed: " << what << std::endl;
        std::exit(1);
    }
}

int main() {
    const std::string a = xeus::new_xguid().c_str();
    const std::string b = xeus::new_xguid().c_str();
    check(!a.empty() && a != b, "two guids differ");

    check(xeus::base64encode("kernel") == "a2VybmVs", "base64 encode");
    check(xeus::base64decode("a2VybmVs") == "kernel", "base64 decode");

    nl::json header = {{"msg_type", "execute_request"}, {"msg_id", a}};
    nl::json content = {{"code", "1 + 1"}};
    xeus::xmessage message({"client"}, header, nl::json::object(), nl::json::object(), content,
                           {});
    check(message.header()["msg_type"] == "execute_request", "message header");
    check(message.content()["code"] == "1 + 1", "message content");
    check(message.identities().size() == 1, "message identities");

    bool caught = false;
    try {
        const nl::json parsed = nl::json::parse("{not json");
        check(parsed.is_null(), "unreachable");
    } catch (const nl::json::parse_error&) {
        caught = true;
    }
    check(caught, "a parse error is caught");

    std::cout << "xeus ok: " << XEUS_VERSION_MAJOR << "." << XEUS_VERSION_MINOR << "."
              << XEUS_VERSION_PATCH << std::endl;
    return 0;
}
