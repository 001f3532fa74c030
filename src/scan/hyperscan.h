// RAII owners for Hyperscan handles.
#pragma once

#include <hs/hs.h>

#include <memory>

namespace sg::scan {

struct HsDatabaseDeleter {
  void operator()(hs_database_t* p) const { hs_free_database(p); }
};
struct HsScratchDeleter {
  void operator()(hs_scratch_t* p) const { hs_free_scratch(p); }
};
struct HsCompileErrorDeleter {
  void operator()(hs_compile_error_t* p) const { hs_free_compile_error(p); }
};
struct HsInfoDeleter {
  void operator()(hs_expr_info_t* p) const { free(p); }  // allocated by hs_misc_alloc (malloc)
};
using HsDatabase = std::unique_ptr<hs_database_t, HsDatabaseDeleter>;
using HsScratch = std::unique_ptr<hs_scratch_t, HsScratchDeleter>;
using HsCompileError = std::unique_ptr<hs_compile_error_t, HsCompileErrorDeleter>;
using HsInfo = std::unique_ptr<hs_expr_info_t, HsInfoDeleter>;

}  // namespace sg::scan
