// tk_torch.h: conventions of libtk_torch.so, the toolkit's C ABI over libtorch (Debian 1.13.1, CPU).
//
// What this is: a thin 1:1 shim. Every export is `extern "C"`, prefixed `tk_`, named area_op
// (tk_tensor_add, tk_nn_cross_entropy, tk_autograd_backward, tk_optim_adamw_step, ...), and takes fixed-width types:
// int64_t for shapes / dims / counts, int32_t for dtypes (c10::ScalarType numbering) and flags, double for scalars.
// What it is not: a place for logic. Loops, defaults and validation with helpful messages live in C# (train/Torch).
//
// Errors: ONE macro (TK_TRY, tk_internal.h) wraps every export body; it catches c10::Error, std::exception and `...`
// into a thread-local message and returns the failure value: NULL for functions returning a handle, -1 for int32_t
// status functions (0 = ok). `tk_error_take()` hands the message over (malloc'd, caller frees with `tk_string_free`)
// and clears it. No C++ exception ever crosses this boundary.
//
// Ownership: every tk_tensor_t returned is a fresh heap handle (wrapping an at::Tensor that may share storage with
// its input, as views do) owned by the caller, who releases it with tk_tensor_free. Inputs are borrowed, never freed.
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tk_tensor* tk_tensor_t;             // one at::Tensor on the heap
typedef struct tk_named_list* tk_named_list_t;     // the result of tk_io_load: (name, tensor) pairs
typedef struct tk_optim_adamw* tk_optim_adamw_t;   // a torch::optim::AdamW over borrowed parameters

char* tk_error_take(void);                          // malloc'd message or NULL; clears it
void tk_string_free(char* s);
int64_t tk_tensor_live_count(void);                 // handles created minus handles freed
void tk_tensor_free(tk_tensor_t t);

#ifdef __cplusplus
}
#endif
