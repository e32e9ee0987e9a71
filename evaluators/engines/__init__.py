"""The engines that decide a program's leaf cases: compiled closures (`compiled`), their
vectorised cohort path (`vector`) and the durable-rules engine in worker processes
(`durable`)."""
