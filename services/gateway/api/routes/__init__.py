"""One module per resource, each with its APIRouter."""
