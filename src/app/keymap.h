/*
 * keymap.h - every key binding, in one table. The reducer looks keys up here and the
 * help screen is generated from it, so the two cannot disagree (tig's request table).
 *
 * X(action, scope, key, key2, keys as shown, help text)
 *   scope ANY   works in every focus, including while typing in the editor;
 *         NAV   works outside the editor (letters there are commands);
 *         DEEP  works outside the editor, like NAV: the switches of the deeper views
 *               (break it, attention, words; deepstate.h), listed apart in the help;
 *         EDIT  works while typing a sentence (letters there are text).
 * Action names are ACT_*: curses defines A_LEFT, A_BOLD ... as attribute macros.
 */
#ifndef BERTSCOPE_APP_KEYMAP_H
#define BERTSCOPE_APP_KEYMAP_H

#include "app/event.h"

#define APP_KEYMAP(X)                                                                        \
    X(ACT_QUIT_NOW, ANY, APP_KEY_CTRL_Q, APP_KEY_CTRL_C, "Ctrl-Q", "quit from anywhere")     \
    X(ACT_HELP_F1, ANY, APP_KEY_F1, 0, "F1", "show or hide this help")                       \
    X(ACT_FOCUS_NEXT, ANY, APP_KEY_TAB, 0, "Tab", "next panel: sentences, tokens, shapes")   \
    X(ACT_FOCUS_PREV, ANY, APP_KEY_BTAB, 0, "Shift-Tab", "previous panel")                   \
    X(ACT_SAVE, ANY, APP_KEY_CTRL_S, 0, "Ctrl-S", "save the sentences to the file")          \
    X(ACT_QUIT, NAV, 'q', 0, "q", "quit")                                                    \
    X(ACT_HELP, NAV, '?', 0, "?", "show or hide this help")                                  \
    X(ACT_EDIT, NAV, APP_KEY_ENTER, 'e', "Enter e", "edit the selected sentence")            \
    X(ACT_ADD, NAV, 'a', 'o', "a o", "add a sentence below and edit it")                     \
    X(ACT_DELETE, NAV, 'd', APP_KEY_DELETE, "d Del", "delete the selected sentence")         \
    X(ACT_UNDO, NAV, 'u', 0, "u", "undo: bring back the last deleted sentence")              \
    X(ACT_MOVE_UP, NAV, 'K', APP_KEY_SUP, "K Shift-Up", "move the sentence up")              \
    X(ACT_MOVE_DOWN, NAV, 'J', APP_KEY_SDOWN, "J Shift-Down", "move the sentence down")      \
    X(ACT_PAIR, NAV, 'b', 0, "b", "pair (A, B) on or off for the sentence")                  \
    X(ACT_UP, NAV, APP_KEY_UP, 'k', "Up k", "previous sentence / scroll shapes")             \
    X(ACT_DOWN, NAV, APP_KEY_DOWN, 'j', "Down j", "next sentence / scroll shapes")           \
    X(ACT_LEFT, NAV, APP_KEY_LEFT, 'h', "Left h", "previous token (scrolls the grid)")       \
    X(ACT_RIGHT, NAV, APP_KEY_RIGHT, 'l', "Right l", "next token")                           \
    X(ACT_FIRST, NAV, APP_KEY_HOME, '0', "Home 0", "first token")                            \
    X(ACT_LAST, NAV, APP_KEY_END, '$', "End $", "last token")                                \
    X(ACT_PADDING, NAV, 'p', 0, "p", "padding: longest, max_length, none")                   \
    X(ACT_SIDE, NAV, 's', 0, "s", "padding side: right or left")                             \
    X(ACT_TRUNC, NAV, 't', 0, "t", "truncation: none, longest_first, only_first…")           \
    X(ACT_MAXLEN_UP, NAV, '+', '=', "+", "max_length + 1")                                   \
    X(ACT_MAXLEN_DOWN, NAV, '-', '_', "-", "max_length - 1")                                 \
    X(ACT_MAXLEN_SET, NAV, 'm', 0, "m", "type a max_length")                                 \
    X(ACT_TRUNC_SIDE, NAV, 'T', 0, "T", "truncation side: left keeps the end")                   \
    X(ACT_PAD_MULTIPLE, NAV, 'P', 0, "P", "pad_to_multiple_of: off, 8, 16, 32, 64")              \
    X(ACT_OVERFLOW, NAV, 'O', 0, "O", "overflowing tokens: rows of their own")                   \
    X(ACT_STRIDE_UP, NAV, ')', 0, ")", "stride + 1: overlap of overflowing rows")                \
    X(ACT_STRIDE_DOWN, NAV, '(', 0, "(", "stride - 1")                                           \
    X(ACT_SPLIT_WORDS, NAV, 'W', 0, "W", "is_split_into_words: split on spaces")                 \
    X(ACT_LABELS, NAV, 'A', 0, "A", "labels: word labels aligned to the pieces")                 \
    X(ACT_LABELS_SET, NAV, 'E', 0, "E", "type the word labels of the sentence")                  \
    X(ACT_HEAD, NAV, 'f', 0, "f", "bring the next model's head to the front")                \
    X(ACT_LAYER_NEXT, NAV, ']', 0, "]", "next encoder layer in the shape ledger")            \
    X(ACT_LAYER_PREV, NAV, '[', 0, "[", "previous encoder layer")                            \
    X(ACT_DETAIL, NAV, 'v', 0, "v", "detail: attention, tokenizer, words, Python")           \
    X(ACT_NOTES, NAV, 'x', 0, "x", "the whole explanation and all warnings")                 \
    X(ACT_LOGITS, NAV, 'L', 0, "L", "raw logits or softmax/sigmoid scores")                  \
    X(ACT_ATTN_NEXT, NAV, '>', 0, ">", "attention: next head (then the mean)")               \
    X(ACT_ATTN_PREV, NAV, '<', 0, "<", "attention: previous head")                           \
    X(ACT_FIND, NAV, '/', 0, "/", "find a token (Enter finds, Esc cancels)")                 \
    X(ACT_FIND_NEXT, NAV, 'n', 0, "n", "find the next match")                                \
    X(ACT_PAGE_UP, NAV, APP_KEY_PGUP, 0, "PgUp", "scroll the focused panel up")              \
    X(ACT_PAGE_DOWN, NAV, APP_KEY_PGDN, 0, "PgDn", "scroll the focused panel down")          \
    X(ACT_SAVE_W, NAV, 'w', 0, "w", "save the sentences to the file")                        \
    X(ACT_BREAK, DEEP, 'B', 0, "B", "break it: rerun the batch wrongly (B closes)")          \
    X(ACT_SWITCH_NEXT, DEEP, 'S', 0, "S", "break it: next switch")                           \
    X(ACT_SWITCH_PREV, DEEP, 'R', 0, "R", "break it: previous switch")                       \
    X(ACT_ROWS_DOWN, DEEP, 'z', 0, "z", "break it: later sentences")                         \
    X(ACT_ROWS_UP, DEEP, 'Z', 0, "Z", "break it: earlier sentences")                         \
    X(ACT_HIDE_SPECIAL, DEEP, 'H', 0, "H", "attention: hide or show [CLS]/[SEP]")            \
    X(ACT_QUERY_UP, DEEP, '{', 0, "{", "attention: previous query row")                      \
    X(ACT_QUERY_DOWN, DEEP, '}', 0, "}", "attention: next query row")                        \
    X(ACT_QUERY_FOLLOW, DEEP, '|', 0, "|", "attention: query row follows the token")         \
    X(ACT_AGG_NEXT, DEEP, 'G', 0, "G", "words: aggregation first, average, max")             \
    X(ACT_LEAVE, EDIT, APP_KEY_ESC, APP_KEY_ENTER, "Esc Enter",                              \
      "stop typing (back to the tokens)")                                                    \
    X(ACT_NEWLINE, EDIT, APP_KEY_CTRL_O, 0, "Ctrl-O", "split here: a new sentence below")    \
    X(ACT_PREV_LINE, EDIT, APP_KEY_UP, 0, "Up", "edit the sentence above")                   \
    X(ACT_NEXT_LINE, EDIT, APP_KEY_DOWN, 0, "Down", "edit the sentence below")               \
    X(ACT_CUR_LEFT, EDIT, APP_KEY_LEFT, 0, "Left", "cursor left")                            \
    X(ACT_CUR_RIGHT, EDIT, APP_KEY_RIGHT, 0, "Right", "cursor right")                        \
    X(ACT_CUR_HOME, EDIT, APP_KEY_HOME, APP_KEY_CTRL_A, "Home Ctrl-A", "start of the line")  \
    X(ACT_CUR_END, EDIT, APP_KEY_END, APP_KEY_CTRL_E, "End Ctrl-E", "end of the line")       \
    X(ACT_BACKSPACE, EDIT, APP_KEY_BACKSPACE, APP_KEY_BACKSPACE_H, "Backspace",              \
      "delete the character before the cursor")                                              \
    X(ACT_DEL_CHAR, EDIT, APP_KEY_DELETE, APP_KEY_CTRL_D, "Del Ctrl-D",                      \
      "delete the character under the cursor")                                               \
    X(ACT_KILL_END, EDIT, APP_KEY_CTRL_K, 0, "Ctrl-K", "delete to the end of the line")      \
    X(ACT_KILL_START, EDIT, APP_KEY_CTRL_U, 0, "Ctrl-U", "delete to the start of the line")  \
    X(ACT_KILL_WORD, EDIT, APP_KEY_CTRL_W, 0, "Ctrl-W", "delete the word before the cursor") \
    X(ACT_PAIR_SEP, EDIT, APP_KEY_CTRL_T, 0, "Ctrl-T", "split into a pair: A | B at the cursor")

typedef enum {
    ACT_NONE = 0,
#define X(action, scope, k1, k2, shown, help) action,
    APP_KEYMAP(X)
#undef X
    ACT_COUNT
} app_action;

typedef enum { SCOPE_ANY, SCOPE_NAV, SCOPE_DEEP, SCOPE_EDIT, SCOPE_COUNT } app_scope;

typedef struct app_binding {
    app_action action;
    app_scope scope;
    int key, key2;
    const char *shown;
    const char *help;
} app_binding;

extern const app_binding app_keymap[];
extern const int app_keymap_count;

/* The action bound to key in the given mode (editing = typing into the editor), or
 * ACT_NONE. Bindings of scope ANY apply in both modes. */
app_action app_key_action(int key, int editing);

#endif
