// Feeds arbitrary bytes to the GGUF parser (and, when it accepts them, to the model loader's
// metadata readers): the only acceptable outcomes are success or InputError.
#include <cstdint>
#include <cstddef>

#include "quant/error.h"
#include "quant/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto f = quant::GgufFile::parse(data, size, "fuzz.gguf");
    for (const auto& t : f->tensors()) {
      volatile uint8_t first = t.n_bytes ? t.data[0] : 0;  // tensor data must be inside the buffer
      volatile uint8_t last = t.n_bytes ? t.data[t.n_bytes - 1] : 0;
      (void)first;
      (void)last;
    }
    if (f->has("tokenizer.ggml.scores")) f->get_array("tokenizer.ggml.scores", quant::GgufValueType::FLOAT32);
  } catch (const quant::InputError&) {
  }
  return 0;
}
