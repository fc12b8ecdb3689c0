//! Windows builds carry their icon and version information inside the .exe: Explorer, the
//! taskbar, the Start menu and the file's Properties read them there. Other targets need
//! nothing from this script.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=assets/icons/keyward.ico");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let mut resources = winresource::WindowsResource::new();
    resources
        .set_icon("assets/icons/keyward.ico")
        .set("ProductName", "Keyward")
        .set("FileDescription", "Keyward")
        .set("CompanyName", "Keyward developers")
        .set("LegalCopyright", "Keyward developers, MIT OR Apache-2.0");
    if let Err(e) = resources.compile() {
        // A build without its icon would still run, but ship wrong: stop here.
        panic!(
            "cannot compile the Windows resources ({e}); cross builds need the MinGW windres \
             (Debian: gcc-mingw-w64-x86-64, which brings binutils-mingw-w64-x86-64)"
        );
    }
}
