/**
 * A power-of-two size-class allocator for the kernel's few large regions (slot pool, hash index,
 * window-start index, per-key table, scratch). Why not the AssemblyScript runtime: the kernel
 * never creates managed objects, and a region only ever grows by doubling and frees its old block,
 * so exact size classes with one free list each are enough to keep memory flat once the
 * working set stops growing.
 *
 * Layout: `freeHeads` (static data) holds one list head per class; a free block stores the next
 * free block's address in its first 4 bytes. Blocks are 16-byte aligned, at least 64 bytes, and
 * come from a bump pointer above `__heap_base` that grows linear memory when needed.
 * Callers remember the size they asked for and pass it back to `freeBlock`.
 */

const MIN_CLASS: u32 = 6; // 64 bytes
const NUM_CLASSES: u32 = 40;
const PAGE_BITS: u32 = 16;
/** Memory grows by at least this many 64 KiB pages at a time (1 MiB), so small regions don't grow it one page at a time. */
const MIN_GROW_PAGES: i32 = 16;

const freeHeads: usize = memory.data(<i32>NUM_CLASSES * 4, 16);
let bumpTop: usize = 0;

// @ts-ignore: decorator
@inline function sizeClass(bytes: usize): u32 {
  if (bytes <= (<usize>1 << MIN_CLASS)) return MIN_CLASS;
  return 32 - clz<u32>(<u32>bytes - 1);
}

/** Bytes actually reserved for a request of `bytes` (the power of two it rounds up to). */
export function blockSize(bytes: usize): usize {
  return <usize>1 << sizeClass(bytes);
}

/** Returns a 16-byte aligned block of at least `bytes` bytes (contents undefined), or 0 when memory cannot grow. */
export function allocBlock(bytes: usize): usize {
  if (bytes > (<usize>1 << 31)) return 0;
  const cls = sizeClass(bytes);
  const head = freeHeads + (cls << 2);
  const free = load<u32>(head);
  if (free != 0) {
    store<u32>(head, load<u32>(free));
    return free;
  }
  if (bumpTop == 0) bumpTop = (__heap_base + 15) & ~(<usize>15);
  const ptr = bumpTop;
  const top = <u64>ptr + (<u64>1 << cls);
  const have = <u64>memory.size() << PAGE_BITS;
  if (top > have) {
    const needed = <i32>((top - have + 0xffff) >> PAGE_BITS);
    if (memory.grow(max(needed, MIN_GROW_PAGES)) < 0 && memory.grow(needed) < 0) return 0;
  }
  bumpTop = <usize>top;
  return ptr;
}

/** Returns a block obtained from `allocBlock(bytes)` (same `bytes`) to its size class. */
export function freeBlock(ptr: usize, bytes: usize): void {
  if (ptr == 0) return;
  const head = freeHeads + (sizeClass(bytes) << 2);
  store<u32>(ptr, load<u32>(head));
  store<u32>(head, <u32>ptr);
}
