// faissx-server's global operator new and delete: the standard ones, except that while the
// calling thread reads index bytes that came from a client (src/local/shim.cpp,
// read_capped), what it allocates in all is held to a budget, and an allocation past it throws
// std::bad_alloc, which the read reports as corrupt bytes. Only the server binary links this
// file: a library must not replace its host program's allocator.
//
// Every form that pairs with `allocate` is replaced, so that new and delete always meet the
// same allocator; the aligned forms stay the library's, as a pair.

#include <cstddef>
#include <cstdlib>
#include <limits>
#include <new>

namespace faissx {
extern thread_local size_t allocation_budget;
extern thread_local bool allocation_refused;
} // namespace faissx

namespace {

void* allocate(std::size_t size) {
    size_t& budget = faissx::allocation_budget;
    if (budget != std::numeric_limits<size_t>::max()) {
        if (size > budget) {
            faissx::allocation_refused = true;
            throw std::bad_alloc();
        }
        budget -= size;
    }
    for (;;) {
        if (void* p = std::malloc(size ? size : 1)) {
            return p;
        }
        std::new_handler handler = std::get_new_handler();
        if (!handler) {
            throw std::bad_alloc();
        }
        handler();
    }
}

void* allocate_or_null(std::size_t size) noexcept {
    try {
        return allocate(size);
    } catch (...) {
        return nullptr;
    }
}

} // namespace

void* operator new(std::size_t size) {
    return allocate(size);
}
void* operator new[](std::size_t size) {
    return allocate(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return allocate_or_null(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return allocate_or_null(size);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
