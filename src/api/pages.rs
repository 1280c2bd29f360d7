//! Pagination shared by the list endpoints: `?page=1&per_page=50`, answered with the totals.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::error::ApiError;

/// Most items one page may hold.
pub const MAX_PER_PAGE: u64 = 500;
/// Items per page when `per_page` is not given.
pub const DEFAULT_PER_PAGE: u64 = 50;

#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<u64>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<u64>,
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSpec {
    pub page: u64,
    pub per_page: u64,
}

impl PageQuery {
    pub fn checked(self) -> Result<PageSpec, ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "page=0 is not valid: pages start at 1",
            ));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("per_page={per_page} is not valid: use 1 to {MAX_PER_PAGE}"),
            ));
        }
        Ok(PageSpec { page, per_page })
    }
}

/// One page of a list, with the totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub total_pages: u64,
}

impl<T> Paginated<T> {
    /// The `spec` page of `all` (a page past the end is empty, with the totals).
    pub fn of(all: Vec<T>, spec: PageSpec) -> Paginated<T> {
        let total = all.len() as u64;
        let skip =
            usize::try_from((spec.page - 1).saturating_mul(spec.per_page)).unwrap_or(usize::MAX);
        let items = all
            .into_iter()
            .skip(skip)
            .take(usize::try_from(spec.per_page).unwrap_or(usize::MAX))
            .collect();
        Paginated {
            items,
            page: spec.page,
            per_page: spec.per_page,
            total,
            total_pages: total.div_ceil(spec.per_page),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_slice_and_count() {
        let spec = |page, per_page| PageQuery {
            page: Some(page),
            per_page: Some(per_page),
        };
        let p = Paginated::of(
            (1..=7).collect::<Vec<u32>>(),
            spec(2, 3).checked().unwrap_or(PageSpec {
                page: 1,
                per_page: 1,
            }),
        );
        assert_eq!((p.items, p.total, p.total_pages), (vec![4, 5, 6], 7, 3));
        let p = Paginated::of(
            (1..=7).collect::<Vec<u32>>(),
            PageSpec {
                page: 9,
                per_page: 3,
            },
        );
        assert_eq!((p.items.len(), p.total), (0, 7));
        assert!(
            spec(0, 3)
                .checked()
                .is_err_and(|e| e.message.contains("page=0"))
        );
        assert!(
            spec(1, 501)
                .checked()
                .is_err_and(|e| e.message.contains("per_page=501"))
        );
        assert_eq!(
            PageQuery::default().checked().ok(),
            Some(PageSpec {
                page: 1,
                per_page: 50
            })
        );
    }
}
