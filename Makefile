# symbl_fdw: PostgreSQL foreign data wrapper for the Symbl.ai conversations API

MODULE_big = symbl_fdw
OBJS = \
	src/analyze.o \
	src/auth.o \
	src/api_call.o \
	src/api_error.o \
	src/exchange.o \
	src/column_map.o \
	src/cond_serialize.o \
	src/conversation_plan.o \
	src/conversation_scan.o \
	src/deparse.o \
	src/shippable.o \
	src/http.o \
	src/json_values.o \
	src/json_worker.o \
	src/modify.o \
	src/option.o \
	src/pager.o \
	src/probe.o \
	src/list_rows.o \
	src/part_column.o \
	src/part_convert.o \
	src/part_fetch.o \
	src/part_join.o \
	src/part_scan.o \
	src/resource.o \
	src/response.o \
	src/scan_methods.o \
	src/scan_shared.o \
	src/selector_memory.o \
	src/symbl_fdw.o \
	src/write_checks.o \
	src/write_pending.o \
	src/write_run.o \
	src/write_xact.o

EXTENSION = symbl_fdw
DATA = sql/symbl_fdw--0.1.sql
PGFILEDESC = "symbl_fdw - foreign data wrapper for Symbl.ai conversations"

PG_CPPFLAGS = -Isrc
# -Wno-unused-parameter: PostgreSQL's own headers and the FDW callback
# signatures have parameters a function may not need.
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter
SHLIB_LINK = -lcurl -ljson-c -pthread

# make SANITIZE=1: AddressSanitizer and UBSan (test/asan.sh, make check-asan)
ifdef SANITIZE
PG_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
SHLIB_LINK += -fsanitize=address,undefined
endif

REGRESS = $(shell cat test/schedule 2>/dev/null)
REGRESS_OPTS = --load-extension=symbl_fdw

# the objects' header dependencies (below)
EXTRA_CLEAN = $(OBJS:.o=.d)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: the compiler writes each object's
# exact list (src/*.d, -MMD; -MP keeps a deleted header from stopping make)
override CFLAGS += -MMD -MP
-include $(OBJS:.o=.d)

# the house plan (test/check_layers.py): includes and calls only downward,
# no call cycle, every file on a floor; and that it catches a bad include
.PHONY: check-layers
check-layers: all
	python3 test/check_layers.py src
	python3 test/check_layers.py --self-test src

# memcheck over good and failing scans (see test/valgrind.sh)
.PHONY: check-valgrind
check-valgrind:
	bash test/valgrind.sh

# the regression suite with the extension under ASan and UBSan
.PHONY: check-asan
check-asan:
	bash test/asan.sh

# the paging state machine against a model of the API (see test/pager/run.sh)
.PHONY: check-pager
check-pager:
	bash test/pager/run.sh

# libFuzzer harnesses (see test/fuzz/run.sh): FUZZ_SECONDS per harness
FUZZ_SECONDS ?= 180
.PHONY: fuzz
fuzz:
	bash test/fuzz/run.sh $(FUZZ_SECONDS)
