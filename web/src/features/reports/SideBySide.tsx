/** Prompts with the base model's and the fine-tuned model's answers in two columns. */
export function SideBySide({
  caption,
  answers,
}: {
  caption: string;
  answers: { prompt: string; base: string; adapted: string; tag?: string }[];
}) {
  return (
    <table className="table answers-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Prompt</th>
          <th scope="col">Base model</th>
          <th scope="col">Fine-tuned</th>
        </tr>
      </thead>
      <tbody>
        {answers.map((a, i) => (
          <tr key={i}>
            <th scope="row">
              {a.prompt}
              {a.tag && <span className="tag">{a.tag}</span>}
            </th>
            <td>{a.base || "(no answer)"}</td>
            <td>{a.adapted || "(no answer)"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
