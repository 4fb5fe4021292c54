/*
 * utf8.h - the one UTF-8 decoder of bertscope, shared by the tokenizer and the interface.
 *
 * Invalid input decodes to U+FFFD once per maximal subpart of an ill-formed sequence
 * (Unicode 3.9, "U+FFFD Substitution of Maximal Subparts"; the WHATWG Encoding
 * standard), which is what Python's bytes.decode(errors="replace"), JavaScript's
 * TextDecoder and Hugging Face's tokenizers do. So "a\xE2\x82z" is three characters
 * (a, U+FFFD, z) everywhere: the tokenizer's code-point offsets, the editor's cursor
 * and the screen count the same characters. Validation (safetensors headers, key names
 * in session files) uses the same rules.
 *
 *     for (size_t i = 0; i < len;) {
 *         uint32_t cp;
 *         i = bs_utf8_next(s, len, i, &cp);
 *         ...
 *     }
 */
#ifndef BERTSCOPE_UTF8_H
#define BERTSCOPE_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define BS_UTF8_REPLACEMENT 0xFFFDu

/* Decodes the character at s[i] (i < len) into *cp and returns the index after it.
 * A well-formed sequence gives its code point; otherwise the longest prefix of s[i..len)
 * that could start a well-formed sequence (at least one byte) gives U+FFFD. Never reads
 * s[len] or beyond. */
size_t bs_utf8_next(const char *s, size_t len, size_t i, uint32_t *cp);

/* Offset of the first byte of s[0..len) that is not part of a well-formed sequence, or
 * len when all of it is valid UTF-8 (where bs_utf8_next would first write a U+FFFD of
 * its own). */
size_t bs_utf8_valid_prefix(const char *s, size_t len);

/* Writes cp as UTF-8 to out (room for 4 bytes) and returns the byte count; a value that
 * is not a Unicode scalar value (a surrogate or above U+10FFFF) is written as U+FFFD. */
int bs_utf8_encode(uint32_t cp, char *out);

/* How many characters bs_utf8_next finds in s[0..len). */
size_t bs_utf8_count(const char *s, size_t len);

#endif
