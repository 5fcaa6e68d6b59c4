/* Sample for the parse benchmark; _N_ is replaced by a counter when repeated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
// BENCH-REPEAT

/* A fixed-size table of settings. */
struct settings_N_ {
    char keys[64][32];
    long values[64];
    size_t count;
};

static int settings_N__load(struct settings_N_ *table, const char *text) {
    char line[256];
    int loaded = 0;
    while (*text) {
        size_t length = strcspn(text, "\n");
        if (length >= sizeof line) {
            return -1;
        }
        memcpy(line, text, length);
        line[length] = '\0';
        text += length + (text[length] == '\n');
        char *equals = strchr(line, '=');
        if (line[0] == '#' || equals == NULL || table->count >= 64) {
            continue;
        }
        *equals = '\0';
        strncpy(table->keys[table->count], line, 31);
        table->values[table->count++] = strtol(equals + 1, NULL, 10);
        loaded++;
    }
    return loaded;
}

long settings_N__get(const struct settings_N_ *table, const char *key, long fallback) {
    for (size_t i = 0; i < table->count; i++) {
        if (strcmp(table->keys[i], key) == 0) {
            return table->values[i];
        }
    }
    return fallback;
}
