//! Attribute macros for [sluice](https://docs.rs/sluice). Use them through
//! `sluice` itself (`sluice::debug_handler`, with the default `macros`
//! feature), not from this crate.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Type};

/// The most arguments a handler may take (sluice implements `Handler` up to
/// this many).
const MAX_ARGS: usize = 16;

/// Checks a handler where it is written, so that a mistake is reported on
/// the argument (or return type) at fault, with what to do about it.
///
/// Without it, a handler that is wrong in any way gets one error on the
/// line that registers it (`App::get(...)`): "`...` is not a valid sluice
/// handler", and the trait system cannot say which argument is at fault.
/// With it, each argument is checked on its own:
///
/// - every argument must be an extractor (`Path<T>`, `Query<T>`,
///   `Json<T>`, `State<T>`, `HeaderMap`, ...): a bare struct is reported on
///   its type, with the wrappers that would read it;
/// - an argument that reads the body (`Json<T>`, `String`, `Bytes`, `Body`,
///   `Request`) must be the last one;
/// - the return type must implement `IntoResponse`;
/// - the future must be `Send`: a `std::sync::MutexGuard` or an `Rc` held
///   across an `.await` is reported on that `.await`.
///
/// It changes nothing in the function, costs nothing at run time, and can
/// stay on the handler.
///
/// ```
/// use schemars::JsonSchema;
/// use sluice::{debug_handler, App, Json, Path};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize, Serialize, JsonSchema)]
/// struct Item { name: String }
///
/// #[debug_handler]
/// async fn update_item(Path(item_id): Path<u32>, Json(item): Json<Item>) -> Json<Item> {
///     let _ = item_id;
///     Json(item)
/// }
///
/// let app = App::new().put("/items/{item_id}", update_item);
/// ```
///
/// Written with a bare `item: Item` instead, the error points at `Item`:
///
/// ```compile_fail,E0277
/// # use sluice::{debug_handler, Path};
/// # #[derive(serde::Deserialize, schemars::JsonSchema)] struct Item { name: String }
/// #[debug_handler]
/// async fn update_item(Path(item_id): Path<u32>, item: Item) -> String {
///     format!("{item_id}: {}", item.name)
/// }
/// ```
///
/// It takes a free `async fn` without generic parameters, as handlers
/// usually are.
#[proc_macro_attribute]
pub fn debug_handler(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = TokenStream2::from(attr);
    let item = TokenStream2::from(item);
    let checks = match expand(&attr, item.clone()) {
        Ok(checks) => checks,
        Err(error) => error.to_compile_error(),
    };
    // The handler itself is left exactly as written.
    quote!(#item #checks).into()
}

fn expand(attr: &TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    if !attr.is_empty() {
        return Err(syn::Error::new(
            attr.span(),
            "`#[debug_handler]` takes no arguments",
        ));
    }
    let function: ItemFn = syn::parse2(item)?;
    let sig = &function.sig;
    let name = &sig.ident;

    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            "`#[debug_handler]` checks an `async fn`: a handler is an `async fn` whose \
             arguments are extractors; write `async fn` here",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "`#[debug_handler]` cannot check a generic handler; \
             put it on a handler with concrete argument types",
        ));
    }

    let mut types = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                return Err(syn::Error::new(
                    receiver.span(),
                    "a handler cannot take `self`: make it a free `async fn`",
                ));
            }
            FnArg::Typed(arg) => {
                if contains_impl_trait(&arg.ty) {
                    return Err(syn::Error::new(
                        arg.ty.span(),
                        "a handler argument cannot be `impl Trait`: name the extractor type",
                    ));
                }
                types.push(&*arg.ty);
            }
        }
    }
    if types.len() > MAX_ARGS {
        return Err(syn::Error::new(
            sig.inputs.span(),
            format!(
                "a handler takes at most {MAX_ARGS} arguments, this one takes {}: \
                 group some into a struct (`Query<T>`, `Headers<T>`) or a `Dependency`",
                types.len()
            ),
        ));
    }

    let last = types.len().checked_sub(1);
    let argument_checks = types.iter().enumerate().map(|(i, ty)| {
        // Spanned on the argument's type, so that the error points at it.
        if Some(i) == last {
            quote_spanned!(ty.span()=> ::sluice::__private::last_argument::<_, #ty>();)
        } else {
            quote_spanned!(ty.span()=> ::sluice::__private::argument_before_last::<_, #ty>();)
        }
    });

    let response_check = match &sig.output {
        ReturnType::Type(_, ty) if !contains_impl_trait(ty) => {
            quote_spanned!(ty.span()=> ::sluice::__private::response::<#ty>();)
        }
        // `-> impl IntoResponse` checks itself; `()` is a response.
        _ => TokenStream2::new(),
    };

    let params: Vec<_> = (0..types.len())
        .map(|i| format_ident!("arg{}", i, span = Span::mixed_site()))
        .collect();
    let send_check = quote_spanned! {name.span()=>
        fn send_check(#(#params: #types),*) {
            ::sluice::__private::send_future(#name(#(#params),*));
        }
    };

    Ok(quote! {
        #[allow(dead_code, non_snake_case, unused, clippy::all)]
        const _: () = {
            fn argument_checks() {
                #(#argument_checks)*
                #response_check
            }
            #send_check
        };
    })
}

/// Whether `ty` mentions `impl Trait` anywhere (it cannot be named in the
/// generated checks).
fn contains_impl_trait(ty: &Type) -> bool {
    fn walk(tokens: TokenStream2) -> bool {
        tokens.into_iter().any(|token| match token {
            proc_macro2::TokenTree::Ident(ident) => ident == "impl",
            proc_macro2::TokenTree::Group(group) => walk(group.stream()),
            _ => false,
        })
    }
    walk(quote!(#ty))
}
