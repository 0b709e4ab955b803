//! A product's images (upload, delete) and a licensor's property emblems; files are sniffed
//! and resized by the kit's uploads.

use crate::console::shop::product_form::{form_context, form_page, values_of};
use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::guards::shop_or_return;
use crate::kit::render::render;
use crate::kit::uploads::{image_error, image_error_code, prepare_upload, read_upload};
use crate::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::catalogue::ImageOwner;
use podium_app::catalogue_csv::{self};
use podium_app::StoreError;
use podium_domain::role::OrgKind;
use serde::Deserialize;
use std::collections::HashMap;

pub(crate) async fn upload_image(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, handle)): Path<(String, String)>,
    form: Multipart,
) -> Result<Response, PageError> {
    let up = read_upload(form).await;
    // An oversized body is refused before its fields (the CSRF token among them) can be read;
    // it changes nothing, so it gets its explanation without the token.
    if !up.too_large {
        v.check_csrf(up.fields.get("csrf_token").map(String::as_str).unwrap_or(""))?;
    }
    let shop = shop_or_return!(v, slug);
    let ctx = form_context(&state, &v.tr, shop).await?;
    let Some(product) = ctx.existing.iter().find(|p| p.handle == handle) else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    let alt = up.fields.get("alt").cloned().unwrap_or_default();
    let prepared = prepare_upload(up.too_large, up.file, ImageOwner::Product, product.id.clone(), alt)
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    match prepared {
        Ok(image) => {
            let who = podium_app::licensing::ActingUser {
                name: v.principal.as_ref().map(|p| p.user.display_name.clone()).unwrap_or_default(),
                client: v.client.clone(),
            };
            let added = podium_app::licensing::add_product_image(state.store.as_ref(), &who, product, image)
                .await
                .map_err(internal(&v.tr))?;
            let saved = if added.pending { "image-review" } else { "image" };
            Ok(v.respond(Redirect::to(&format!("/console/shops/{}/products/{handle}?saved={saved}", ctx.shop.slug))))
        }
        Err(e) => {
            let values = values_of(product, &ctx.locations);
            let message = image_error(&v.tr, &e);
            let status = if up.too_large { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::UNPROCESSABLE_ENTITY };
            let page = form_page(&v, &ctx, &values, &HashMap::new(), Some(&handle), Some(product), None, Some(message));
            Ok(render(v, status, page))
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    pub(crate) csrf_token: String,
}

pub(crate) async fn delete_image(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, handle, id)): Path<(String, String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    v.check_csrf(&form.csrf_token)?;
    let shop = shop_or_return!(v, slug);
    let products = catalogue_csv::shop_products(state.store.as_ref(), &shop.slug).await.map_err(internal(&v.tr))?;
    let Some(product) = products.iter().find(|p| p.handle == handle) else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    match state.store.delete_image(ImageOwner::Product, &product.id, &id).await {
        Ok(()) | Err(StoreError::NotFound(_)) => {}
        Err(e) => return Err(PageError::internal(v.tr.clone(), e)),
    }
    Ok(v.respond(Redirect::to(&format!("/console/shops/{}/products/{handle}?saved=image", shop.slug))))
}

pub(crate) async fn upload_emblem(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    form: Multipart,
) -> Result<Response, PageError> {
    let up = read_upload(form).await;
    v.check_csrf(up.fields.get("csrf_token").map(String::as_str).unwrap_or(""))?;
    let Some(principal) = v.principal.clone() else {
        return Ok(v.respond(Redirect::to("/signin?next=/console/licensor")));
    };
    let Some(property) = state.store.property_by_slug(&slug).await.map_err(internal(&v.tr))? else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    if !principal.orgs_of(OrgKind::Licensor).any(|o| o.id == property.licensor_id) {
        return Err(PageError::forbidden(v.tr.clone()));
    }
    let prepared =
        prepare_upload(up.too_large, up.file, ImageOwner::Property, property.id.clone(), property.name.clone())
            .await
            .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let outcome = match prepared {
        Ok(image) => {
            state.store.add_image(image).await.map_err(internal(&v.tr))?;
            "saved".to_string()
        }
        Err(e) => format!("error-{}", image_error_code(&e)),
    };
    Ok(v.respond(Redirect::to(&format!("/console/licensor?emblem={outcome}&property={slug}"))))
}
