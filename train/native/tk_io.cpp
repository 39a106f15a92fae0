// tk_io.cpp: save / load a list of named tensors as one file (torch.save's zip format: Python's torch.load reads it).
#include "tk_internal.h"

#include <torch/serialize.h>

#include <fstream>
#include <iterator>

using tk::T;

struct tk_named_list {
  std::vector<std::string> names;
  std::vector<at::Tensor> tensors;
};

// Writes {names[i]: tensors[i]} (a Dict[str, Tensor]) to `path`.
TK_API int32_t tk_io_save(const char* path, const char* const* names, const tk_tensor_t* ts, int64_t n) {
  TK_STATUS({
    c10::Dict<std::string, at::Tensor> dict;
    for (int64_t i = 0; i < n; i++) dict.insert(names[i], T(ts[i]).detach());
    auto bytes = torch::pickle_save(dict);
    std::ofstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(std::string("cannot open '") + path + "' for writing");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error(std::string("failed writing '") + path + "'");
  })
}

// Reads a file written by tk_io_save (or Python torch.save of a dict of tensors).
TK_API tk_named_list_t tk_io_load(const char* path) {
  TK_TRY(nullptr, {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(std::string("cannot open '") + path + "' for reading");
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto value = torch::pickle_load(bytes);
    if (!value.isGenericDict()) throw std::runtime_error(std::string("'") + path + "' does not hold a dict of tensors");
    auto list = std::make_unique<tk_named_list>();
    for (const auto& kv : value.toGenericDict()) {
      if (!kv.key().isString() || !kv.value().isTensor())
        throw std::runtime_error(std::string("'") + path + "' holds a non (str, Tensor) entry");
      list->names.push_back(kv.key().toStringRef());
      list->tensors.push_back(kv.value().toTensor());
    }
    return list.release();
  })
}
TK_API int64_t tk_io_list_size(tk_named_list_t l) { return l != nullptr ? static_cast<int64_t>(l->names.size()) : 0; }
// Borrowed: valid until tk_io_list_free.
TK_API const char* tk_io_list_name(tk_named_list_t l, int64_t i) {
  TK_TRY(nullptr, return l->names.at(static_cast<size_t>(i)).c_str();)
}
TK_API tk_tensor_t tk_io_list_tensor(tk_named_list_t l, int64_t i) {
  TK_TENSOR(l->tensors.at(static_cast<size_t>(i)))
}
TK_API void tk_io_list_free(tk_named_list_t l) { delete l; }
