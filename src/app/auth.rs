use leptos::prelude::*;

use crate::{
    api::accounts::{current_user, ChangePassword, DeleteAccount, SignIn, SignOut, SignUp},
    domain::user::SignedInUser,
    error::AppError,
};

/// The account actions and the signed-in user, shared by the header and the pages. The user is
/// fetched again whenever an action that can change it completes.
#[derive(Clone, Copy)]
pub struct Auth {
    pub sign_in: ServerAction<SignIn>,
    pub sign_up: ServerAction<SignUp>,
    pub sign_out: ServerAction<SignOut>,
    pub change_password: ServerAction<ChangePassword>,
    pub delete_account: ServerAction<DeleteAccount>,
    pub user: Resource<Result<Option<SignedInUser>, AppError>>,
}

impl Auth {
    pub fn new() -> Self {
        let sign_in = ServerAction::<SignIn>::new();
        let sign_up = ServerAction::<SignUp>::new();
        let sign_out = ServerAction::<SignOut>::new();
        let change_password = ServerAction::<ChangePassword>::new();
        let delete_account = ServerAction::<DeleteAccount>::new();
        let user = Resource::new(
            move || {
                (
                    sign_in.version().get(),
                    sign_up.version().get(),
                    sign_out.version().get(),
                    delete_account.version().get(),
                )
            },
            |_| current_user(),
        );
        Self {
            sign_in,
            sign_up,
            sign_out,
            change_password,
            delete_account,
            user,
        }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Self::new()
    }
}
