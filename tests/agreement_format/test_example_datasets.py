"""The example datasets, written from other datasets' real release agreements, give the form and the
PDF those agreements describe: the owners' words, their signers, their fields, in their order.

The expected texts below are copied from the sources each file names, not from the files.
"""

import html
import io
import re

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app import clock
from requests_app.agreement_format import preview
from requests_app.agreement_format.loading import load_dataset_file
from requests_app.applications.forms import ApplicationForm
from requests_app.documents.pdf import render_agreement_with_areas
from requests_app.models import IssuedAgreement
from tests.paths import ROOT

EXAMPLES = ROOT / "datasets" / "examples"

# From DATA_LICENSE.md in github.com/BJUT-AIVBD/LCMA-Net.
STREAMERREID_SOURCE = [
    "StreamerReID Database, including Development Set & Evaluation Set, and other related documents, is subject to this AGREEMENT, hereafter referred as “Database”.",
    "“Database” can only be used for research purposes. Any commercial usage is not allowed.",
    "Applicant has no rights to publish, retransmit, disclose, display, copy, reproduce or redistribute the “Database” or part of the “Database”, under any condition.",
    "Provider does not provide any quality guarantee for “Database”, and any damage and legal consequences arising by using “Database” shall be borne by Applicant.",
    "Applicant shall give appropriate references to the “Database”, no matter the whole or part of the “Database” is used, in any of the scholarly publications whenever and wherever it is mentioned.",
]
STREAMERREID_CONTACT = "Contact person: - Prof. Jing Zhang (Email: See corresponding author information of the paper)"
# From AGREEMENT.md in github.com/nkjcqvcpi/ASR.
LSASRD_AGREES = "The researcher(s) agrees to the following restrictions and requirements on the LSASRD:"
LSASRD_SOURCE = {
    "Redistribution": "Without prior approval from HQUCE, LSASRD, in whole or in part, will not be further distributed, published, copied, or disseminated in any way or form whatsoever, whether for profit or not.",
    "Modification": "Without prior approval from HQUCE, LSASRD, in whole or in part, will not be modified.",
    "Commercial Use": "Without prior approval from HQUCE, LSASRD, in whole or in part, will not be used for commercial use.",
    "Publication Requirements": "In no case should the images be used in a way that could reasonably cause the original subject embarrassment or mental anguish.",
    "Acknowledgment to HQUCE": "In all documents and papers that report experimental results based on this database, LSASRD should be acknowledged as:",
    "Publications to HQUCE": "Authors of all reports and papers that are for public or general release that use the LSASRD are kindly requested to send copies of these publications to the following Email: lei_houtong@stu.hqu.edu.cn.",
    "Indemnification": "Researcher agrees to indemnify, defend and hold harmless HQUCE and its officers, employees and agents",
}
# From the MAHNOB End User License Agreement (paperzz.com/doc/9367337/eula---mahnob-databases).
MAHNOB_SOURCE = {
    "Commercial use": "The user may not use the database for any nonacademic purpose. Nonacademic purposes include, but are not limited to:",
    "Responsibility": "This document must be signed by a person with a permanent position at an academic institute (the signee). Up to five other researchers affiliated with the same institute for whom the signee is responsible may be named at the end of this document which will allow them to work with this dataset.",
    "Distribution": "Only data from subjects who gave consent to have their data used in publications and presentations may be used for this purpose. Note that publications will have to comply with the terms stated in article 5.",
    "Access": "The user may only use the database after this End User License Agreement (EULA) has been signed and returned to the iBUG Group at Imperial College London. The signed EULA should be returned in digital format by uploading it to the website when requesting account at: http://mahnobdb.eu/mimicry/accounts/register/ Only if the user is not capable of requesting an account in this manner, accounts may be requested by sending the signed EULA via traditional mail to: Prof. Maja Pantic Imperial College London Department of Computing",
}
MAHNOB_OPENING = "By signing this document the user, he or she who will make use of the database or the database interface, agrees to the following terms. With database, we denote both the actual data as well as the interface to the database."
# From "LLCM Dataset Agreement/LLCM DATASET RELEASE AGREEMENT.pdf" in github.com/ZYK100/LLCM.
LLCM_INTRODUCTION = "The LLCM (Low-Light Cross-Modality) dataset is constructed to facilitate the study of low-light cross-modality person Re-ID task. It contains 46,767 person images of 1,064 identities, and each identity is captured by at least one RGB camera and one IR camera. The LLCM dataset is divided into a training set and a testing set at a ratio about 2:1. The training set contains 30,921 bounding boxes of 713 identities (16,946 bounding boxes are from the VIS modality and 13,975 bounding boxes are from the IR modality), and the testing set contains 13,909 bounding boxes of 351 identities (8,680 bounding boxes are from the VIS modality and 7,166 bounding boxes are from the IR modality). Xiamen University owns the copyright of the LLCM dataset and serves as the source for this data."
LLCM_HEADING = "Consent (Restrictions for Use of the LLCM Dataset)"
LLCM_SOURCE = {
    "Requests": "All requests for the LLCM dataset are submitted to Xiamen University in writing.",
    "Redistribution and Modification": "The entire or part of the LLCM dataset will not be modified and further distributed, published, copied or disseminated in any way or form, either for profit or not, except for Xiamen University. This also refers to further distribution of the LLCM dataset to any other facility or unit within the requesting organization, other than the one mentioned in the request.",
    "Commercial Use": "The LLCM dataset is made available only for research purposes, and it may not be used in any commercial activity. In particular, the LLCM dataset or its part may not be used to promote any product or technology.",
    "Citation": "All documents and papers that uses the LLCM dataset will acknowledge the use of the data by citing the following paper: Zhang Y, Wang H. Diverse Embedding Expansion Network and Low-Light Cross-Modality Benchmark for Visible-Infrared Person Re-identification[C]//Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition. 2023: 2153-2162.",
}
# The owner's form, in its order: "Name: Signature: Date:" on one row, then one line each.
LLCM_FORM = ["Name:", "Signature:", "Date:", "Organization:", "Mailing Address:", "Tel.:", "Email:"]


def words(text: str) -> str:
    return " ".join(text.split())


def pdf_words(data: bytes) -> str:
    return words(" ".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages))


def rendered(name: str):
    shown = preview.preview_file(EXAMPLES / name)
    return shown, pdf_words(shown.pdf), words(html.unescape(re.sub(r"<[^>]+>", " ", shown.form_html)))


def test_every_example_loads_and_each_is_a_new_dataset(db):
    results = [load_dataset_file(path) for path in sorted(EXAMPLES.glob("*.toml"))]
    assert len(results) >= 4
    assert all(r.version_created for r in results)


def test_streamerreid_untitled_clauses_and_a_signature_line_between_the_applicants_fields():
    shown, pdf, form = rendered("streamerreid.toml")
    for number, text in enumerate(STREAMERREID_SOURCE, start=1):
        assert f"{number}. {text}" in pdf, number
        assert words(text) in form
        assert f"I accept clause {number}." in form
    labels = [
        "Date:",
        "Applicant:",
        "Institution:",
        "AUTHORISED SIGNATURES [signature image is acceptable]:",
        "Printed name of the signee:",
        "Title in Applicant’s Organization:",
    ]
    positions = [pdf.index(label) for label in labels]
    assert positions == sorted(positions)
    assert "Printed name of the signee::" not in pdf
    assert pdf.count("Date:") == 1, "the date is asked at the top, not again beside the signature"
    # As in the owner's text: after the last clause, before the signatures (the PDF's and the form's).
    assert pdf.index(STREAMERREID_SOURCE[-1][:40]) < pdf.index(STREAMERREID_CONTACT) < pdf.index("Applicant Date:")
    assert form.index(STREAMERREID_CONTACT) < form.index("Printed name of the signee")
    form_fields = [
        n for n in ApplicationForm(agreement=shown.version, submitting=True).fields if not n.startswith("clause_")
    ]
    assert form_fields == [
        "signing_date",
        "applicant_name",
        "organisation",
        "email",
        "representative_name",
        "representative_title",
    ]
    assert "Research purpose" not in pdf  # the agreement does not ask for it


def test_lsasrd_titled_clauses_under_the_owners_heading_with_its_closing_and_submission():
    shown, pdf, form = rendered("lsasrd.toml")
    for number, (title, text) in enumerate(LSASRD_SOURCE.items(), start=1):
        assert f"{number}. {title}: {text}" in pdf, title
        assert f"I accept clause {number} ({title})." in form
    assert pdf.index("Content") < pdf.index("1. Redistribution")
    assert pdf.index(LSASRD_AGREES) < pdf.index("1. Redistribution") and LSASRD_AGREES in form
    assert "LSASRD is the dataset to facilitate the research on style recognition on anime images." in pdf
    assert "please be ease to contract with us" in pdf
    assert "How to submit Please Sign the LSASRD Release Agreement and Send to lei_houtong[at]stu.hqu.edu.cn" in pdf
    assert "The researcher(s)" in pdf and "Facility or organizational unit: Sample text" in pdf
    assert "Clause 1: the data may not go to a different facility or organizational unit." in form


def test_mahnob_one_signee_and_the_researchers_named_each_sign_their_own_block():
    shown, pdf, form = rendered("mahnob-mimicry.toml")
    assert MAHNOB_OPENING in pdf and MAHNOB_OPENING in form
    for number, (title, text) in enumerate(MAHNOB_SOURCE.items(), start=1):
        assert f"{number}. {title}:" in pdf
        assert words(text) in pdf, title
        assert words(text) in form, title
        assert f"I accept clause {number} ({title})." in form
    # "Up to five other researchers ... may be named at the end of this document".
    blocks = ["The signee", *(f"Researcher {n}, for whom the signee is responsible" for n in range(1, 6))]
    positions = [pdf.index(title) for title in blocks]
    assert positions == sorted(positions) and positions[0] > pdf.index("4. Access:")
    assert pdf.count("Signature Date:") == 6  # one signature block per signer
    assert "Country: United Kingdom" in pdf
    form_obj = ApplicationForm(agreement=shown.version, submitting=True)
    assert [title for title, _ in form_obj.signer_groups()] == blocks
    assert not form_obj.fields["researcher_2_name"].required


def test_llcm_the_introduction_the_owners_heading_and_a_name_signature_date_row_before_the_contact_lines():
    shown, pdf, form = rendered("llcm.toml")
    assert LLCM_INTRODUCTION in pdf and LLCM_INTRODUCTION in form
    assert pdf.index(LLCM_INTRODUCTION) < pdf.index(LLCM_HEADING) < pdf.index("1. Requests:")
    for number, (title, text) in enumerate(LLCM_SOURCE.items(), start=1):
        assert f"{number}. {title}: {text}" in pdf, title
        assert words(text) in form, title
        assert f"I accept clause {number} ({title})." in form
    after_clauses = pdf[pdf.index("4. Citation:") :]
    positions = [after_clauses.index(label) for label in LLCM_FORM]
    assert positions == sorted(positions)
    assert "Tel.:: " not in pdf and "Tel. +" not in pdf  # the owner's "Tel.:", neither doubled nor lost
    assert "How to submit Please send a signed dataset release agreement copy to zhangyk@stu.xmu.edu.cn." in pdf
    form_fields = [
        n for n in ApplicationForm(agreement=shown.version, submitting=True).fields if not n.startswith("clause_")
    ]
    assert form_fields == ["representative_name", "signing_date", "organisation", "address", "phone", "email"]
    assert "Research purpose" not in pdf  # the agreement does not ask for it
    kinds = [a["kind"] for a in render_agreement_with_areas(shown.request, shown.version).areas]
    assert kinds.count("signature") == 1 and "date" not in kinds, "the row's date is the one the form asks"
    assert after_clauses.count("Date:") == 1, "printed beside the signature line, not again under it"


def test_a_researcher_applies_for_llcm_and_the_pdf_prints_the_address_lines_and_the_number_as_stored(alice_client, db):
    agreement = load_dataset_file(EXAMPLES / "llcm.toml").dataset.current_agreement
    data = {
        "representative_name": "Wang Fang",
        "signing_date": timezone.localdate().isoformat(),
        "organisation": "Example University",
        "address": "1 Example Road\nXi'an",
        "phone": "0086-29-8849-1234",
        "email": "wang@uni.example",
        "submit": "Submit",
        **{f"clause_{c['number']}": "on" for c in agreement.clauses},
    }
    response = alice_client.post(reverse("requests_app:apply", args=["llcm"]), data)
    assert response.status_code == 302
    pdf = pdf_words(bytes(IssuedAgreement.objects.get().pdf))
    assert "Mailing Address: 1 Example Road Xi'an" in pdf
    assert "Tel.: +86 29 8849 1234" in pdf
    assert pdf.index("Name: Wang Fang") < pdf.index("Signature Date:") < pdf.index("Organization: Example University")


def test_a_researcher_applies_for_an_example_dataset_end_to_end(alice_client, db):
    dataset = load_dataset_file(EXAMPLES / "streamerreid.toml").dataset
    agreement = dataset.current_agreement
    data = {
        "signing_date": timezone.localdate().isoformat(),
        "applicant_name": "Wang Fang",
        "organisation": "Example University",
        "email": "wang@uni.example",
        "representative_name": "Wang Fang",
        "representative_title": "PhD student",
        "submit": "Submit",
        **{f"clause_{c['number']}": "on" for c in agreement.clauses},
    }
    response = alice_client.post(reverse("requests_app:apply", args=["streamerreid"]), data)
    assert response.status_code == 302
    pdf = pdf_words(bytes(IssuedAgreement.objects.get().pdf))
    assert "Applicant: Wang Fang" in pdf and "Title in Applicant’s Organization: PhD student" in pdf


@pytest.mark.parametrize("name", ["streamerreid.toml", "lsasrd.toml", "mahnob-mimicry.toml", "llcm.toml"])
def test_each_example_names_its_source(name):
    head = (EXAMPLES / name).read_text(encoding="utf-8").split("format = 2")[0]
    assert "Source:" in head and "verbatim" in head


def test_each_format_2_signer_signs_on_a_line_with_their_printed_name_and_title_under_it_and_the_date_beside_it():
    shown, pdf, _ = rendered("streamerreid.toml")
    shown.request.values.update(representative_name="PROF. ADA LOVELACE", representative_title="Dean of Research")
    text = pdf_words(render_agreement_with_areas(shown.request, shown.version).pdf)
    # StreamerReID asks the date above the signatures: printed there only.
    assert "Signature PROF. ADA LOVELACE Dean of Research" in text

    # Left blank there, the date gets a place beside the signature to be written in by hand.
    shown.request.values.update(signing_date="")
    undated = render_agreement_with_areas(shown.request, shown.version)
    assert "date" in [a["kind"] for a in undated.areas]
    assert "Signature Date: PROF. ADA LOVELACE" in pdf_words(undated.pdf)

    llcm, _, _ = rendered("llcm.toml")
    llcm.request.values.update(representative_name="PROF. ADA LOVELACE")
    text = pdf_words(render_agreement_with_areas(llcm.request, llcm.version).pdf)
    # LLCM's row is "Name: Signature: Date:": the date asked next to the signature is printed beside its line.
    assert f"Signature Date: {clock.today().isoformat()} PROF. ADA LOVELACE" in text

    mahnob, _, _ = rendered("mahnob-mimicry.toml")
    areas = render_agreement_with_areas(mahnob.request, mahnob.version).areas
    # One place to sign per signer, and a place to date it for the researchers, whose blocks ask no date.
    assert [a["kind"] for a in areas].count("signature") == 6
    assert [a["kind"] for a in areas].count("date") == 5


def test_an_agreement_the_owner_countersigns_ends_with_the_owners_block_left_blank(tmp_path):
    """The file decides: `[agreement.countersignature]` adds the owner's signature line, an area of its own
    kind, so the licensee's scan is not asked for ink there and the owner's copy can be."""
    path = tmp_path / "countersigned.toml"
    path.write_text(
        (EXAMPLES / "streamerreid.toml").read_text(encoding="utf-8")
        + '\n[agreement.countersignature]\ntitle = "For the dataset owner"\nsignatory = "Head of the Vision Group"\n',
        encoding="utf-8",
    )
    shown = preview.preview_file(path)
    rendered_pdf = render_agreement_with_areas(shown.request, shown.version)
    text = pdf_words(rendered_pdf.pdf)
    assert f"For the dataset owner Signature Date: Head of the Vision Group {shown.version.dataset.owner}" in text
    kinds = [a["kind"] for a in rendered_pdf.areas]
    assert kinds.count("countersignature") == 1 and kinds.count("countersignature_date") == 1
    assert kinds.count("signature") == 1, "the licensee's own place to sign is unchanged"

    plain, _, _ = rendered("streamerreid.toml")
    assert "countersignature" not in str(render_agreement_with_areas(plain.request, plain.version).areas)
