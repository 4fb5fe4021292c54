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

# Packages per layer (pkg-config names). The engine builds without curses; the app adds
# ncursesw; only the test binaries link cmocka. tests/e2e/layers.sh checks it.
ENGINE_PKGS := openblas libutf8proc libcjson
APP_PKGS    := ncursesw
TEST_PKGS   := cmocka
pc_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs   = $(shell pkg-config --libs $(1) 2>/dev/null)
ENGINE_CFLAGS := $(call pc_cflags,$(ENGINE_PKGS))
APP_CFLAGS    := $(ENGINE_CFLAGS) $(call pc_cflags,$(APP_PKGS))
ENGINE_LIBS   := $(call pc_libs,$(ENGINE_PKGS)) -lpthread -lm
APP_LIBS      := $(call pc_libs,$(APP_PKGS)) $(ENGINE_LIBS)
TEST_CFLAGS   := $(call pc_cflags,$(TEST_PKGS))
TEST_LIBS     := $(call pc_libs,$(TEST_PKGS))

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
           -Iinclude -Isrc -DBS_VERSION='"$(VERSION)"' -DBS_DATADIR='"$(DATADIR)"' -MMD -MP
LDFLAGS ?=
LDFLAGS += $(SANFLAGS)
# LDLIBS (from the command line or the environment) is linked last, after the layers.

ENGINE_SRC := $(wildcard src/engine/*.c)
APP_SRC    := $(wildcard src/app/*.c)
CLI_SRC    := $(wildcard src/cli/*.c)
TEST_SRC   := $(wildcard tests/test_*.c)
# Tests of the engine alone (they include no src/app header): engine library only. A
# test not listed here links the interface's library too.
ENGINE_TESTS := test_bert test_brown test_checkpoint test_config test_decode test_hostile test_torchbin test_qa \
                test_sbert \
                test_kernels test_kernels_lowp test_labels test_pool test_safetensors test_tokenizer test_utf8
# Test helpers: golden draws through app/grid.h; the others need the engine only.
TESTLIB_APP_SRC    := tests/lib/golden.c
TESTLIB_ENGINE_SRC := $(filter-out $(TESTLIB_APP_SRC),$(wildcard tests/lib/*.c))

ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/%.o)
APP_OBJ    := $(APP_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTLIB_ENGINE_OBJ := $(TESTLIB_ENGINE_SRC:%.c=$(BUILD)/%.o)
TESTLIB_APP_OBJ    := $(TESTLIB_APP_SRC:%.c=$(BUILD)/%.o)
TEST_BIN   := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
ENGINE_TEST_BIN := $(filter $(ENGINE_TESTS:%=$(BUILD)/tests/%),$(TEST_BIN))
APP_TEST_BIN    := $(filter-out $(ENGINE_TEST_BIN),$(TEST_BIN))
ENGINE_TEST_OBJ := $(ENGINE_TEST_BIN:%=%.o)
APP_TEST_OBJ    := $(APP_TEST_BIN:%=%.o)

BIN := $(BUILD)/bertscope

.PHONY: all run check bench install uninstall clean deps fuzz FORCE
# Keep test objects between runs (they are intermediate files to make).
.SECONDARY:

all: $(BIN)

# Each layer compiles with its own packages' flags only.
$(ENGINE_OBJ): $(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ENGINE_CFLAGS) -c $< -o $@

$(APP_OBJ) $(CLI_OBJ): $(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(APP_CFLAGS) -c $< -o $@

$(ENGINE_TEST_OBJ) $(TESTLIB_ENGINE_OBJ): $(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ENGINE_CFLAGS) $(TEST_CFLAGS) -c $< -o $@

$(APP_TEST_OBJ) $(TESTLIB_APP_OBJ): $(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(APP_CFLAGS) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/libbsengine.a: $(ENGINE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libbsapp.a: $(APP_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(BUILD)/libbsapp.a $(BUILD)/libbsengine.a
	$(CC) $(LDFLAGS) $(CLI_OBJ) $(BUILD)/libbsapp.a $(BUILD)/libbsengine.a $(APP_LIBS) \
	    $(LDLIBS) -o $@
	@if [ "$(BUILD)" = build ]; then ln -sf build/bertscope bertscope 2>/dev/null || true; fi

$(ENGINE_TEST_BIN): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(TESTLIB_ENGINE_OBJ) \
                    $(BUILD)/libbsengine.a
	$(CC) $(LDFLAGS) $< $(TESTLIB_ENGINE_OBJ) $(BUILD)/libbsengine.a $(ENGINE_LIBS) \
	    $(TEST_LIBS) $(LDLIBS) -o $@

$(APP_TEST_BIN): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(TESTLIB_ENGINE_OBJ) $(TESTLIB_APP_OBJ) \
                 $(BUILD)/libbsapp.a $(BUILD)/libbsengine.a
	$(CC) $(LDFLAGS) $< $(TESTLIB_ENGINE_OBJ) $(TESTLIB_APP_OBJ) $(BUILD)/libbsapp.a \
	    $(BUILD)/libbsengine.a $(APP_LIBS) $(TEST_LIBS) $(LDLIBS) -o $@

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

# `make -s print-VAR` prints a variable, so scripts read the lists above instead of
# copying them (tests/e2e/layers.sh, tsan_pool.sh). FORCE: a file print-VAR is ignored.
print-%: FORCE
	@echo $($*)
FORCE:

-include $(ENGINE_OBJ:.o=.d) $(APP_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TESTLIB_ENGINE_OBJ:.o=.d) \
         $(TESTLIB_APP_OBJ:.o=.d) $(TEST_BIN:%=%.d)
