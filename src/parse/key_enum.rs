//! The enum of the keys a parser knows, generated once for every parser that names its figures.
//!
//! `meminfo`, `vmstat` and `limits` each list the keys they read in the kernel's order, each key
//! with the variant that names it and the text the file spells it with. [`key_enum!`] turns such
//! a list into the public enum, its `ALL` (every variant, in that order: parsers rely on the
//! order) and the `const fn` that gives a variant's spelling; the module adds what is its own.

/// Declares `pub enum $name` with one variant per key (each documented by its `$doc`), the
/// constant `ALL` and `pub const fn $spelling(self) -> &'static str`.
macro_rules! key_enum {
    (
        $(#[doc = $enum_doc:literal])*
        enum $name:ident;
        ALL: $all_doc:literal;
        fn $spelling:ident: $spelling_doc:literal;
        $( $variant:ident $key:literal $doc:expr; )*
    ) => {
        $(#[doc = $enum_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( #[doc = $doc] $variant, )*
        }

        impl $name {
            #[doc = $all_doc]
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            #[doc = $spelling_doc]
            #[inline]
            pub const fn $spelling(self) -> &'static str {
                // A table lookup rather than a `match`: parsers call this on their hot path.
                const KEYS: &[&str] = &[$($key),*];
                KEYS[self as usize]
            }
        }
    };
}

pub(crate) use key_enum;
