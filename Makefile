# shoplake's entry points. `make demo` and `make test` install what they need first
# (scripts/bootstrap, as root, when something is missing). CI=true turns warnings into errors.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=
ifeq ($(CI),true)
  CMAKE_FLAGS += -DSHOPLAKE_WERROR=ON
endif
JOBS ?= $(shell nproc)

.PHONY: all bootstrap build test demo bench format clean

all: build

# Quick when everything is there: --check only looks.
bootstrap:
	@scripts/bootstrap --check >/dev/null 2>&1 || scripts/bootstrap

# TARGET narrows the build (the demo needs only the binary, not the tests).
TARGET ?=
build: bootstrap
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS) $(if $(TARGET),--target $(TARGET))

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@grep -h "jsonata suite:" $(BUILD)/Testing/Temporary/LastTest.log || true

demo: bootstrap
	$(MAKE) --no-print-directory build TARGET=shoplake
	scripts/demo $(BUILD)/shoplake

bench: build
	bench/run.sh $(BUILD)/shoplake

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan
