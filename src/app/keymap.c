/* keymap.c - the key table of keymap.h, as data, and its lookup. */
#include "app/keymap.h"

const app_binding app_keymap[] = {
#define X(action, scope, k1, k2, shown, help) {action, SCOPE_##scope, k1, k2, shown, help},
    APP_KEYMAP(X)
#undef X
};
const int app_keymap_count = (int)(sizeof app_keymap / sizeof app_keymap[0]);

app_action app_key_action(int key, int editing)
{
    for (int i = 0; i < app_keymap_count; i++) {
        const app_binding *b = &app_keymap[i];
        if ((b->scope == SCOPE_NAV || b->scope == SCOPE_DEEP) && editing)
            continue;
        if (b->scope == SCOPE_EDIT && !editing)
            continue;
        if (key && (b->key == key || (b->key2 && b->key2 == key)))
            return b->action;
    }
    return ACT_NONE;
}
