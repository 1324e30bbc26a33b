import { Link } from "react-router-dom";
import { usePageTitle } from "../../hooks/usePageTitle";

export function NotFoundPage() {
  usePageTitle("Not found");
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/jobs">Go to the jobs list</Link>.
      </p>
    </section>
  );
}
