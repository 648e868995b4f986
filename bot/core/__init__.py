"""The domain core: pure rules about organizations, users and the mail that moves them. No I/O."""
