// Test processes log only what fails unless TEST_LOG_LEVEL asks for more.
process.env.TEST_LOG_LEVEL ??= 'silent';
