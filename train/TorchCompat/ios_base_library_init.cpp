// libtk_iosinit.so: defines std::ios_base_library_init(), the symbol GCC 13 added to libstdc++ (GLIBCXX_3.4.32) as the
// anchor for iostream initialization. libLibTorchSharp.so (TorchSharp 0.107) references it; Debian 12's libstdc++
// (GCC 12) lacks it. install.sh makes this library a NEEDED entry of the patched libLibTorchSharp.so. Including
// <iostream> here (GCC 12 headers) gives this library the static std::ios_base::Init that initializes cout/cerr, which
// is what GCC 13's anchor guarantees.
#include <iostream>

namespace std
{
__attribute__((visibility("default"))) void ios_base_library_init() {}
}
