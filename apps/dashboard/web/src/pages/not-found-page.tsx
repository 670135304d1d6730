import { Link } from '../router.tsx';
import { Page } from '../ui.tsx';

export function NotFoundPage() {
  return (
    <Page title="Not found" lead="There is nothing here, or it is not yours to see.">
      <Link to="/">Back to your organizations</Link>
    </Page>
  );
}
