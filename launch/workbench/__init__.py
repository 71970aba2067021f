"""The data-migration workbench: the Django side of `launch.migration` (models in
`launch.models.migration`, writes in `services`, reads in `selectors`, pages in `views`)."""
