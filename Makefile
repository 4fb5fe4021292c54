# bertscope - see README.md. `make` builds, `make run` opens the visualizer,
# `make check` runs every test, `make bench` measures speed.
#
# `make run` and `make check` first install the Debian packages a fresh machine lacks
# (tools/install-deps.sh lists them); NO_INSTALL=1 skips that step.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/bertscope
MANDIR  ?= $(PREFIX)/share/man/man1
DESTDIR ?=
VERSION := 0.1.0

CC      ?= cc
PKGS    := ncursesw openblas libutf8proc cmocka libcjson
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(SANITIZE),1)
BUILD   ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     ?= -O1 -g
else
BUILD   ?= build
SANFLAGS :=
OPT     ?= -O2 -g
endif

CFLAGS  ?=
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter $(OPT) $(SANFLAGS) \
           -Iinclude -Isrc -DBS_VERSION='"$(VERSION)"' -DBS_DATADIR='"$(DATADIR)"' \
           -MMD -MP $(PKG_CFLAGS)
LDFLAGS ?=
LDFLAGS += $(SANFLAGS)
LDLIBS  += $(PKG_LIBS) -lpthread -lm

ENGINE_SRC := $(wildcard src/engine/*.c)
APP_SRC    := $(wildcard src/app/*.c)
CLI_SRC    := $(wildcard src/cli/*.c)
TEST_SRC   := $(wildcard tests/test_*.c)
TESTLIB_SRC := $(wildcard tests/lib/*.c)

ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/%.o)
APP_OBJ    := $(APP_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/%.o)
TEST_BIN   := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

BIN := $(BUILD)/bertscope

.PHONY: all run check bench install uninstall clean deps fuzz
# Keep test objects between runs (they are intermediate files to make).
.SECONDARY:

all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libbsengine.a: $(ENGINE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libbsapp.a: $(APP_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(BUILD)/libbsapp.a $(BUILD)/libbsengine.a
	$(CC) $(LDFLAGS) $(CLI_OBJ) $(BUILD)/libbsapp.a $(BUILD)/libbsengine.a $(LDLIBS) -o $@
	@if [ "$(BUILD)" = build ]; then ln -sf build/bertscope bertscope 2>/dev/null || true; fi

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TESTLIB_OBJ) $(BUILD)/libbsapp.a $(BUILD)/libbsengine.a
	$(CC) $(LDFLAGS) $< $(TESTLIB_OBJ) $(BUILD)/libbsapp.a $(BUILD)/libbsengine.a $(LDLIBS) -o $@

deps:
ifneq ($(NO_INSTALL),1)
	@sh tools/install-deps.sh
endif

# Build and open the visualizer on the built-in models.
run: deps
	@$(MAKE) --no-print-directory all
	./$(BIN)

# Build and run every test (cmocka binaries and the end-to-end script).
check: deps
	@$(MAKE) --no-print-directory all $(TEST_BIN)
	@BUILD=$(BUILD) sh tests/run-tests.sh $(TEST_BIN)

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh tools/bench.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/bertscope
	cp -R weights $(DESTDIR)$(DATADIR)/
	if [ -d demos ]; then cp -R demos $(DESTDIR)$(DATADIR)/; fi
	if [ -f docs/bertscope.1 ]; then install -m 644 docs/bertscope.1 $(DESTDIR)$(MANDIR)/; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/bertscope $(DESTDIR)$(MANDIR)/bertscope.1
	rm -rf $(DESTDIR)$(DATADIR)

# Run every libFuzzer target for FUZZ_SECONDS each (needs clang; installed by deps).
fuzz:
ifneq ($(NO_INSTALL),1)
	@sh tools/install-deps.sh fuzz
endif
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tools/fuzz.sh

clean:
	rm -rf build build-san build-fuzz bertscope

-include $(ENGINE_OBJ:.o=.d) $(APP_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TESTLIB_OBJ:.o=.d) $(TEST_BIN:%=%.d)
