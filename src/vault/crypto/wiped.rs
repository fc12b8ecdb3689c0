//! A heap box whose bytes are overwritten with zeros when it is dropped.
//!
//! ring's key types (AES key schedules, HMAC states) do not zeroize themselves. Holding them in
//! a `Wiped` box means that locking the vault (dropping it) leaves no key schedule behind in
//! freed memory. Only for types whose key material lives inline (no heap pointers of their own).

use std::mem::MaybeUninit;
use std::ops::Deref;

pub struct Wiped<T> {
    inner: Box<MaybeUninit<T>>,
}

impl<T> Wiped<T> {
    pub fn new(value: T) -> Wiped<T> {
        Wiped {
            inner: Box::new(MaybeUninit::new(value)),
        }
    }
}

impl<T> Deref for Wiped<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `inner` is initialised in `new` and only de-initialised in `drop`.
        unsafe { self.inner.assume_init_ref() }
    }
}

impl<T> Drop for Wiped<T> {
    fn drop(&mut self) {
        let ptr = self.inner.as_mut_ptr();
        // SAFETY: the value is initialised (see `deref`) and dropped exactly once here; after
        // that its bytes are plain memory owned by the box, which frees it as MaybeUninit.
        unsafe {
            std::ptr::drop_in_place(ptr);
            let bytes = ptr.cast::<u8>();
            for i in 0..std::mem::size_of::<T>() {
                std::ptr::write_volatile(bytes.add(i), 0);
            }
        }
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derefs_to_the_value_and_drops_it_once() {
        use std::rc::Rc;
        let counter = Rc::new(());
        let boxed = Wiped::new(([7u8; 32], counter.clone()));
        assert_eq!(boxed.0, [7u8; 32]);
        assert_eq!(Rc::strong_count(&counter), 2);
        drop(boxed);
        assert_eq!(Rc::strong_count(&counter), 1, "the value's own drop ran");
    }
}
