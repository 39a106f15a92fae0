#!/usr/bin/env bash
# install.sh PACKAGES OUT: lays out TorchSharp's natives in one folder OUT (build/torchsharp) that every project loads
# (TorchSharpNative.Load), so no build output carries its own 500 MB copy, and makes libLibTorchSharp.so load where the
# system libstdc++ is older than GCC 13 (Debian 12). PACKAGES is the NuGet global packages folder. Idempotent.
#  - libtorch (libtorch-cpu-linux-x64 2.10.0): hard links to the package files (a copy where links are impossible);
#    only the libraries libLibTorchSharp.so loads, not the test/python backends.
#  - libLibTorchSharp.so (TorchSharp 0.107.0): a copy, never the package cache's file. If the loader refuses it
#    (ldd: "version `GLIBCXX_3.4.32' not found"), the copy gets two changes:
#      1. its .gnu.version_r entry for GLIBCXX_3.4.32 is flagged weak (VER_FLG_WEAK) by weak_verneed, so a libstdc++
#         without that version is accepted;
#      2. patchelf --add-needed libtk_iosinit.so, a 2-line library (ios_base_library_init.cpp) that defines the one
#         symbol it wanted from GLIBCXX_3.4.32, std::ios_base_library_init().
#    Where libstdc++ comes from GCC >= 13 (Ubuntu 24.04, Debian 13) the copy is left as shipped.
set -euo pipefail
pkgs="$1"; out="$2"
# what the loader refuses in $1 (a missing library or a missing non-weak symbol version); empty when it loads
refused() { ldd "$1" 2>&1 | grep 'not found' | grep -v 'weak version' || true; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
torch="$pkgs/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native"
sharp="$pkgs/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so"
for f in "$torch/libtorch_cpu.so" "$sharp"; do
  [ -f "$f" ] || { echo "install.sh: $f missing; run 'dotnet restore Toolkit.sln' first (it downloads TorchSharp 0.107.0 and libtorch-cpu-linux-x64 2.10.0, ~600 MB once)" >&2; exit 1; }
done
mkdir -p "$out"
for lib in libtorch_cpu.so libtorch.so libc10.so libgomp-98b21ff3.so.1 libshm.so libtorch_global_deps.so; do
  if ! cmp -s "$torch/$lib" "$out/$lib" 2>/dev/null; then
    rm -f "$out/$lib"; ln "$torch/$lib" "$out/$lib" 2>/dev/null || cp "$torch/$lib" "$out/$lib"
  fi
done
# already laid out and loadable: nothing to do
if [ -f "$out/libLibTorchSharp.so" ] && [ -f "$out/.libLibTorchSharp.source" ] && cmp -s "$out/.libLibTorchSharp.source" <(sha256sum < "$sharp") \
   && [ -z "$(refused "$out/libLibTorchSharp.so")" ]; then exit 0; fi
tmp="$out/libLibTorchSharp.so.tmp"
cp "$sharp" "$tmp"
chmod u+w "$tmp"
if ldd "$tmp" 2>&1 | grep -q "GLIBCXX_3.4.32' not found"; then
  echo "torchsharp: this libstdc++ lacks GLIBCXX_3.4.32; patching $out/libLibTorchSharp.so (see $here/install.sh)"
  gcc -O2 -o "$out/weak_verneed" "$here/weak_verneed.c"
  g++ -O2 -shared -fPIC -o "$out/libtk_iosinit.so" "$here/ios_base_library_init.cpp"
  "$out/weak_verneed" "$tmp" GLIBCXX_3.4.32
  patchelf --add-needed libtk_iosinit.so "$tmp"
fi
if [ -n "$(refused "$tmp")" ]; then refused "$tmp" >&2; echo "install.sh: $tmp still does not load (above)" >&2; exit 1; fi
mv -f "$tmp" "$out/libLibTorchSharp.so"
sha256sum < "$sharp" > "$out/.libLibTorchSharp.source"
