/* Parse a YAML document with libyaml and count its events and scalars. */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

int main(void) {
    const char *doc = "a: [1, 2]\nb: {c: three}\n";
    yaml_parser_t parser;
    yaml_event_t event;
    int events = 0, scalars = 0, done = 0;
    if (!yaml_parser_initialize(&parser)) return 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)doc, strlen(doc));
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) return 1;
        events++;
        if (event.type == YAML_SCALAR_EVENT) scalars++;
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    if (scalars != 6) return 1;
    printf("libyaml %s ok: %d events, %d scalars\n", yaml_get_version_string(), events, scalars);
    return 0;
}
