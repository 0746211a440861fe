// A xeus kernel whose interpreter answers "echo: CODE" to an execute_request (and raises
// EchoError for the code "fail"), exported to JavaScript as Module.xkernel by xeus-lite.
#include <string>

#include "nlohmann/json.hpp"
#include "xeus/xembind.hpp"
#include "xeus/xhelper.hpp"
#include "xeus/xinterpreter.hpp"

namespace nl = nlohmann;

class echo_interpreter : public xeus::xinterpreter {
  private:
    void configure_impl() override {}

    void execute_request_impl(send_reply_callback reply, int execution_count,
                              const std::string& code, xeus::execute_request_config,
                              nl::json) override {
        if (code == "fail") {
            publish_execution_error("EchoError", "asked to fail", {"EchoError: asked to fail"});
            reply(xeus::create_error_reply("EchoError", "asked to fail"));
            return;
        }
        nl::json data;
        data["text/plain"] = "echo: " + code;
        publish_execution_result(execution_count, std::move(data), nl::json::object());
        reply(xeus::create_successful_reply());
    }

    nl::json complete_request_impl(const std::string&, int cursor_pos) override {
        return xeus::create_complete_reply(nl::json::array(), cursor_pos, cursor_pos);
    }

    nl::json inspect_request_impl(const std::string&, int, int) override {
        return xeus::create_inspect_reply();
    }

    nl::json is_complete_request_impl(const std::string&) override {
        return xeus::create_is_complete_reply("complete");
    }

    nl::json kernel_info_request_impl() override {
        return xeus::create_info_reply("5.3", "echo", "1.0", "echo", "1.0", "text/plain", ".txt");
    }

    void shutdown_request_impl() override {}
};

EMSCRIPTEN_BINDINGS(echo_kernel) {
    xeus::export_core();
    xeus::export_kernel<echo_interpreter>("xkernel");
}
