/** A program using lj-async from the module path. */
module example.consumer {
    requires dev.ljasync;
}
